//! The bodies of the chunkscope fuzz targets, as plain functions.
//!
//! Each `fuzz_targets/<name>.rs` calls `chunkscope_fuzz::<name>(data)`. The stable smoke test
//! (tests/fuzz_smoke.rs in the main crate) includes this very file with `#[path]` and runs the
//! same functions over deterministically mutated fixture bytes, so the targets are exercised on
//! every `cargo test` even without nightly or cargo-fuzz.
//!
//! The contract under test is "no panic, no unbounded allocation, whatever the bytes": every
//! function here ignores `Err` results and only walks the `Ok` ones.

use chunkscope::format::annotations::{LayerAnnotations, Section};
use chunkscope::format::digest::Digest;
use chunkscope::format::{
    estargz, footer as footer_fmt, tarsplit as tarsplit_fmt, toc as toc_fmt, zstd,
};
use chunkscope::format::{gofmt, pax as pax_fmt, tar_header};
use chunkscope::inspect::report::FileReport;
use chunkscope::inspect::{InspectOptions, InspectedLayer, LayerInspection};
use chunkscope::model::LayerFiles;
use chunkscope::oci::Descriptor;
use std::collections::BTreeMap;

/// Reads larger than this are answered short (a `Truncated` error) instead of materialised, so
/// a claimed size cannot make the harness itself allocate gigabytes.
pub const MAX_MATERIALISED_READ: u64 = 8 << 20;

/// `footer`: the blob's last bytes, any length.
pub fn footer(data: &[u8]) {
    if let Ok(f) = footer_fmt::parse(data) {
        let _ = (f.variant.frame_len(), f.variant.name(), f.toc.end());
        let _ = f.tar_split.map(|t| t.end());
    }
}

/// The annotation keys the `annotations` target can set, in bit order of its first byte.
pub const ANNOTATION_KEYS: [&str; 8] = [
    "io.github.containers.zstd-chunked.manifest-checksum",
    "io.github.containers.zstd-chunked.manifest-position",
    "io.github.containers.zstd-chunked.tarsplit-position",
    "io.github.containers.zstd-chunked.tarsplit-checksum",
    "io.containers.zstd-chunked.manifest-checksum",
    "io.containers.zstd-chunked.manifest-position",
    "containerd.io/snapshot/stargz/toc.digest",
    "io.containers.estargz.uncompressed-size",
];

/// `annotations`: byte 0 says which of [`ANNOTATION_KEYS`] are present; the rest, split at
/// `\n`, are their values in order. Parsed directly and as a descriptor starting an inspection.
pub fn annotations(data: &[u8]) {
    let Some((&mask, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut values = text.split('\n');
    let mut map = BTreeMap::new();
    for (i, key) in ANNOTATION_KEYS.iter().enumerate() {
        if mask & (1 << i) != 0 {
            map.insert(key.to_string(), values.next().unwrap_or("").to_string());
        }
    }
    let _ = LayerAnnotations::parse(&map);
    // The descriptor size comes from the input too, so positions can fit or not.
    let size = rest
        .iter()
        .fold(0u64, |a, &b| a.rotate_left(5) ^ u64::from(b));
    let desc = descriptor(size, map, false);
    let insp = LayerInspection::new(&desc, InspectOptions::default());
    let _ = insp.next_read().map(|r| r.header_value());
    let _ = serde_json::to_vec(&insp.finish().report);
}

/// `toc`: TOC JSON, or (when it starts with the zstd magic) a zstd stream holding it, as it sits
/// in a blob. Parsed, turned into the file model, counted and serialised as the report's
/// file list.
pub fn toc(data: &[u8]) {
    let decoded;
    let json = if data.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        match zstd::decompress("TOC", data, 1 << 20) {
            Ok(v) => {
                decoded = v;
                &decoded[..]
            }
            Err(_) => return,
        }
    } else {
        data
    };
    let Ok(toc) = toc_fmt::parse(json) else {
        return;
    };
    // Where the payload must end: a plausible bound, and one from the input itself.
    for payload_end in [data.len() as u64, u64::MAX] {
        let files = LayerFiles::build(toc.clone(), payload_end);
        let _ = files.counts();
        let list: Vec<FileReport> = files.files.iter().map(FileReport::from).collect();
        for f in &files.files {
            let _ = f.extent();
        }
        let _ = serde_json::to_vec(&list);
    }
}

/// `tarsplit`: `TOC JSON \0 tar-split JSON lines` (without a `\0`, all of it is the tar-split
/// and the TOC is empty). Every line is read by the fast line reader and by serde_json and the
/// `base64` crate, which must agree (a disagreement panics); then the tar-split is parsed and
/// checked against the TOC.
pub fn tarsplit(data: &[u8]) {
    let (toc_json, ts) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let toc = toc_fmt::parse(toc_json).unwrap_or_default();
    for line in ts.split(|&b| b == b'\n') {
        assert!(
            tarsplit_fmt::line_reader_agrees(line),
            "the fast tar-split line reader disagrees with serde_json on {:?}",
            String::from_utf8_lossy(line)
        );
    }
    if let Ok(split) = tarsplit_fmt::parse(ts) {
        let _ = (split.tar_size, split.files, split.segments);
        let c = split.check_against(&toc);
        let _ = (c.ok(), c.problems.len(), serde_json::to_vec(&c.differences));
    }
}

/// `pax`: PAX extended-header data, and the same bytes as one tar-split segment (a tar header
/// with its extensions), read as containers/storage reads them; the values are also quoted the
/// way its error messages quote them.
pub fn pax(data: &[u8]) {
    if let Ok(records) = pax_fmt::parse_records(data) {
        for r in records {
            let _ = (gofmt::quote(r.key), pax_fmt::parse_time(r.value));
        }
    }
    if let Ok(Some((h, pad))) = tar_header::read_first(data) {
        let _ = (gofmt::quote(&h.name), gofmt::quote_int(h.mode), pad);
        let _ = h.mtime.map(|(s, n)| gofmt::time(s, n));
    }
    let _ = gofmt::json_lossy(data);
}

/// Length of the fixed header of an `inspect` input.
pub const INSPECT_HEADER: usize = 29;

/// `inspect`: a whole [`LayerInspection`] over a virtual blob, with descriptor annotations and
/// options taken from the input. Layout (integers little-endian):
///
/// | bytes | meaning |
/// |---|---|
/// | 0 | flags: bit 0 read the tar-split, 1 read the footer, 2 file list; bits 3–4 annotations (0 none, 1 current, 2 legacy, 3 eStargz); 5 manifest-checksum is the true digest of the TOC range (else a wrong one); 6 add tarsplit-position; 7 gzip media type |
/// | 1..5 | `pad`: the blob is `pad` zero bytes followed by the tail |
/// | 5..17 | TOC offset, length, uncompressed length (u32 each) |
/// | 17..29 | tar-split offset, length, uncompressed length (u32 each) |
/// | 29.. | the tail: the blob's last bytes (metadata, footer) |
///
/// Computing the true digest lets mutations of the TOC bytes get past authentication and reach
/// the zstd decoder, the JSON parser, the model and the tar-split check.
pub fn inspect(data: &[u8]) {
    if data.len() < INSPECT_HEADER {
        return;
    }
    let flags = data[0];
    let u = |i: usize| u64::from(u32::from_le_bytes(data[i..i + 4].try_into().unwrap()));
    let pad = u(1);
    let toc = Section {
        offset: u(5),
        length: u(9),
        uncompressed_length: u(13),
    };
    let ts = Section {
        offset: u(17),
        length: u(21),
        uncompressed_length: u(25),
    };
    let tail = &data[INSPECT_HEADER..];
    let blob = VirtualBlob { pad, tail };
    let opts = InspectOptions {
        tar_split: flags & 1 != 0,
        footer: flags & 2 != 0,
        files: flags & 4 != 0,
    };
    let mut ann = BTreeMap::new();
    let ns = match (flags >> 3) & 3 {
        1 => Some("io.github.containers.zstd-chunked."),
        2 => Some("io.containers.zstd-chunked."),
        3 => {
            ann.insert(
                "containerd.io/snapshot/stargz/toc.digest".to_string(),
                Digest::sha256(tail).to_string(),
            );
            None
        }
        _ => None,
    };
    if let Some(ns) = ns {
        let digest = match blob.read(toc.offset, toc.length) {
            Some(bytes) if flags & 0x20 != 0 => Digest::sha256(&bytes).to_string(),
            _ => Digest::sha256(b"wrong").to_string(),
        };
        ann.insert(format!("{ns}manifest-checksum"), digest);
        ann.insert(
            format!("{ns}manifest-position"),
            format!(
                "{}:{}:{}:1",
                toc.offset, toc.length, toc.uncompressed_length
            ),
        );
        if flags & 0x40 != 0 {
            ann.insert(
                format!("{ns}tarsplit-position"),
                format!("{}:{}:{}", ts.offset, ts.length, ts.uncompressed_length),
            );
        }
    }
    let desc = descriptor(blob.size(), ann, flags & 0x80 != 0);
    let mut insp = LayerInspection::new(&desc, opts);
    feed_all(&mut insp, &blob, desc.size);
    let done = insp.finish();
    let _ = serde_json::to_vec(&done.report);
}

/// `pad` zero bytes, then `tail`.
struct VirtualBlob<'a> {
    pad: u64,
    tail: &'a [u8],
}

impl VirtualBlob<'_> {
    fn size(&self) -> u64 {
        self.pad + self.tail.len() as u64
    }
    /// The bytes of `[offset, offset + length)`, or `None` if outside or too large to build.
    fn read(&self, offset: u64, length: u64) -> Option<Vec<u8>> {
        let end = offset.checked_add(length)?;
        if end > self.size() || length > MAX_MATERIALISED_READ {
            return None;
        }
        let mut out = Vec::with_capacity(length as usize);
        for p in offset..end {
            out.push(if p < self.pad {
                0
            } else {
                self.tail[(p - self.pad) as usize]
            });
        }
        Some(out)
    }
}

fn descriptor(size: u64, annotations: BTreeMap<String, String>, gzip: bool) -> Descriptor {
    Descriptor {
        media_type: if gzip {
            "application/vnd.oci.image.layer.v1.tar+gzip"
        } else {
            "application/vnd.oci.image.layer.v1.tar+zstd"
        }
        .to_string(),
        digest: Digest::sha256(b"").to_string(),
        size,
        annotations,
        platform: None,
        urls: Vec::new(),
    }
}

/// Builds an `inspect` input from a real blob: the tail from 8 bytes before the TOC, the rest
/// as padding, positions as given. Used for seed corpora.
pub fn inspect_input(blob: &[u8], flags: u8, toc: Section, ts: Option<Section>) -> Vec<u8> {
    let start = toc.offset.saturating_sub(8).min(blob.len() as u64);
    let ts = ts.unwrap_or(Section {
        offset: 0,
        length: 0,
        uncompressed_length: 0,
    });
    let mut v = vec![flags];
    for x in [
        start,
        toc.offset,
        toc.length,
        toc.uncompressed_length,
        ts.offset,
        ts.length,
        ts.uncompressed_length,
    ] {
        v.extend((x as u32).to_le_bytes());
    }
    v.extend(&blob[start as usize..]);
    v
}

/// The planner's registry behaviours, picked by a flags field.
fn behaviour(i: u8) -> chunkscope::registry::behaviour::RegistryBehaviour {
    use chunkscope::registry::behaviour::{BehaviourClass, RegistryBehaviour};
    let class = BehaviourClass::ALL[usize::from(i) % BehaviourClass::ALL.len()];
    RegistryBehaviour {
        class,
        status: Some([400, 416, 501][usize::from(i >> 3) % 3]),
        cap: Some(u32::from(i >> 5) * 7 + 1),
    }
}

/// A zstd:chunked descriptor for the planner: current annotations with positions from the
/// input, so the reference's metadata range and the layer's size can lie.
fn plan_descriptor(tag: u8, size: u64, toc_end: u64) -> Descriptor {
    let ns = "io.github.containers.zstd-chunked.";
    let mut ann = BTreeMap::new();
    ann.insert(
        format!("{ns}manifest-checksum"),
        Digest::sha256(&[tag]).to_string(),
    );
    let toc_len = (toc_end % 4096) + 1;
    ann.insert(
        format!("{ns}manifest-position"),
        format!(
            "{}:{}:{}:1",
            toc_end.saturating_sub(toc_len),
            toc_len,
            toc_len * 4
        ),
    );
    ann.insert(
        format!("{ns}tarsplit-position"),
        format!("{}:{}:{}", toc_end.saturating_add(8), 100, 400),
    );
    let mut d = descriptor(size, ann, false);
    d.digest = Digest::sha256(&[tag, 1]).to_string();
    d
}

fn plan_layer<'a>(
    d: &'a Descriptor,
    f: &'a Option<(bool, LayerFiles)>,
) -> chunkscope::plan::LayerInput<'a> {
    chunkscope::plan::LayerInput {
        descriptor: d,
        files: f.as_ref().map(|(_, f)| f),
        tar_split_digest: f.as_ref().is_some_and(|(t, _)| *t),
        error: None,
        verdict: None,
        estargz: None,
    }
}

/// `plan`: the planner's inputs. Layout: byte 0 flags (bit 0 chunk reuse, 1 hard links, 2 a
/// fixed budget, 3 the have layer is the want layer's descriptor too, 4 insecure mode), byte 1 the budget, byte 2
/// the registry behaviour (class, refusal status, cap), byte 3 retries, bytes 4..12 the want
/// blob's size (u64 LE), then `want TOC JSON \0 have TOC JSON`. The plan is made, predicted
/// for the behaviour and serialised; its totals must add up.
pub fn plan(data: &[u8]) {
    use chunkscope::plan::predict::{predict, PredictOptions};
    use chunkscope::plan::{plan_pull, PlanOptions};
    if data.len() < 12 {
        return;
    }
    let flags = data[0];
    let size =
        u64::from_le_bytes(data[4..12].try_into().unwrap()) % (chunkscope::oci::MAX_BLOB_SIZE + 1);
    let rest = &data[12..];
    let (want_json, have_json) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &rest[..0]),
    };
    let files = |json: &[u8], end: u64| {
        toc_fmt::parse(json)
            .ok()
            .map(|t| (t.tar_split_digest.is_some(), LayerFiles::build(t, end)))
    };
    let want_desc = plan_descriptor(1, size, size.saturating_sub(72 + 500));
    let have_desc = if flags & 8 != 0 {
        want_desc.clone()
    } else {
        plan_descriptor(2, size / 2 + 1000, size / 2)
    };
    let want = files(want_json, want_desc.size);
    let have = files(have_json, have_desc.size);
    let (w, h) = (plan_layer(&want_desc, &want), plan_layer(&have_desc, &have));
    let opts = PlanOptions {
        chunk_reuse: flags & 1 != 0,
        hard_links: flags & 2 != 0,
        budget: (flags & 4 != 0).then_some(usize::from(data[1])),
        insecure_allow_unpredictable_image_contents: flags & 16 != 0,
    };
    let mut p = plan_pull(&[w], &[h], &opts);
    let mut o = PredictOptions::new(behaviour(data[2]));
    o.retries = u32::from(data[3] % 5);
    predict(&mut p, &o);
    let _ = serde_json::to_vec(&p);
}

/// `ranges`: the reference's range merging on parts from the input. Layout: byte 0 the target
/// request count, then 17-byte parts (offset u64 LE, length u32 LE, byte: source 0 remote /
/// 1 local / 2 hole, file id u32 LE). Parts are sorted and made disjoint first (as a TOC's
/// chunks are). Merged, halved and laid out as one single-range plan; every remote part must
/// lie inside a merged range.
pub fn ranges(data: &[u8]) {
    use chunkscope::inspect::ByteRange as Span;
    use chunkscope::plan::predict::halve;
    use chunkscope::plan::ranges::{merge_missing_chunks, Part, Source};
    use chunkscope::plan::single_range::SingleRange;
    let Some((&target, rest)) = data.split_first() else {
        return;
    };
    let mut parts: Vec<Part> = rest
        .chunks_exact(17)
        .map(|c| Part {
            offset: u64::from_le_bytes(c[0..8].try_into().unwrap()) >> 12,
            length: u64::from(u32::from_le_bytes(c[8..12].try_into().unwrap())) + 1,
            source: match c[12] % 3 {
                0 => Source::Remote,
                1 => Source::Local,
                _ => Source::Hole,
            },
            file: u32::from_le_bytes(c[13..17].try_into().unwrap()) as usize % 64,
        })
        .collect();
    parts.sort_by_key(|p| p.offset);
    let mut end = 0u64;
    parts.retain(|p| {
        let keep = p.offset >= end;
        if keep {
            end = p.offset + p.length;
        }
        keep
    });
    let merged = merge_missing_chunks(&parts, usize::from(target));
    for p in parts.iter().filter(|p| p.source == Source::Remote) {
        assert!(
            merged
                .ranges
                .iter()
                .any(|r| r.offset <= p.offset && p.offset + p.length <= r.end()),
            "remote part {p:?} not requested"
        );
    }
    let _ = merged.bytes();
    let halved = halve(&merged.ranges);
    let _ = halved.iter().map(|s: &Span| s.length).sum::<u64>();
    let single = SingleRange::new(merged.ranges.iter().copied());
    let _ = single.unbridged();
}

/// Builds a `plan` input (seed corpora): the header fields, then `want \0 have`.
pub fn plan_input(
    flags: u8,
    budget: u8,
    behaviour: u8,
    size: u64,
    want: &[u8],
    have: &[u8],
) -> Vec<u8> {
    let mut v = vec![flags, budget, behaviour, 3];
    v.extend(size.to_le_bytes());
    v.extend(want);
    v.push(0);
    v.extend(have);
    v
}

/// Builds a `ranges` input (seed corpora) from `(offset, length, source, file)` parts.
pub fn ranges_input(target: u8, parts: &[(u64, u32, u8, u32)]) -> Vec<u8> {
    let mut v = vec![target];
    for &(offset, length, source, file) in parts {
        v.extend((offset << 12).to_le_bytes());
        v.extend(length.saturating_sub(1).to_le_bytes());
        v.push(source);
        v.extend(file.to_le_bytes());
    }
    v
}

/// `estargz_footer`: the blob's last bytes, any length, read as an eStargz footer (51 or 47
/// bytes) and as containers/storage's reader takes them (`footer[16:32]` as hex).
pub fn estargz_footer(data: &[u8]) {
    if let Ok(f) = estargz::parse_footer(data) {
        let _ = (f.variant.name(), f.variant.size(), f.toc_offset);
    }
    let _ = estargz::reference_toc_offset(data);
    let _ = gofmt::quote(data);
}

/// `estargz_toc`: an eStargz TOC member (gzip → tar → `stargz.index.json`). Read alone, then as
/// the TOC of a blob `member + footer` through the inspection (with the annotation digest of
/// the JSON it holds, so the parser and the file model are reached), and as a file payload.
pub fn estargz_toc(data: &[u8]) {
    let mut digest = format!("sha256:{}", "0".repeat(64));
    // The parse and the file model are reached through the inspection below.
    if let Ok(m) = estargz::read_toc(data, 1 << 20) {
        digest = Digest::sha256(&m.json).to_string();
    }
    let _ = estargz::payload_prefix("file", data, (data.len() as u64).min(1 << 16), 1 << 20);
    inspect_estargz(
        VirtualBlob {
            pad: 0,
            tail: &[data, &estargz::footer_bytes(0)[..]].concat(),
        },
        digest,
    );
}

/// Answers every read `insp` asks for from `blob` (a read the blob cannot answer is fed empty),
/// checking what holds for every layer, zstd:chunked or eStargz: at most two reads, each
/// inside the blob, and an error ends the inspection.
fn feed_all(insp: &mut LayerInspection, blob: &VirtualBlob<'_>, size: u64) {
    let mut reads = 0;
    while let Some(r) = insp.next_read() {
        reads += 1;
        assert!(reads <= 2, "an inspection never needs more than two reads");
        assert!(
            r.length > 0 && r.end() <= size,
            "read {r:?} outside the blob"
        );
        let res = match blob.read(r.offset, r.length) {
            Some(bytes) => insp.feed(&bytes),
            None => insp.feed(&[]),
        };
        if res.is_err() {
            assert!(insp.next_read().is_none(), "an error ends the inspection");
            break;
        }
    }
}

/// Runs a whole inspection (file list on) of a gzip layer whose annotations carry the eStargz
/// TOC digest `digest`, reading `blob` as the inspection asks; the report is serialised too.
fn inspect_estargz(blob: VirtualBlob<'_>, digest: String) -> InspectedLayer {
    let mut annotations = BTreeMap::new();
    annotations.insert(
        "containerd.io/snapshot/stargz/toc.digest".to_string(),
        digest,
    );
    let desc = descriptor(blob.size(), annotations, true);
    let mut insp = LayerInspection::new(
        &desc,
        InspectOptions {
            tar_split: false,
            footer: false,
            files: true,
        },
    );
    feed_all(&mut insp, &blob, desc.size);
    let out = insp.finish();
    let _ = serde_json::to_vec(&out.report);
    out
}

/// Length of the fixed header of an `estargz_json` input.
pub const ESTARGZ_JSON_HEADER: usize = 4;

/// `estargz_json`: the TOC JSON of an eStargz layer (`stargz.index.json`) itself. Layout: bytes
/// 0..4 the TOC member's offset in the blob (u32 LE), then the JSON. The harness frames the JSON
/// as a well-formed TOC member (an uncompressed gzip member holding a tar) after that many zero
/// bytes, appends the footer and gives the descriptor the JSON's true digest, so every mutation
/// reaches the TOC parser, the file model (chunk ends derived from the next offsets, as eStargz
/// has no `endOffset`), the landmarks and the hazards instead of stopping at a gzip checksum.
pub fn estargz_json(data: &[u8]) {
    let _ = estargz_json_inspected(data);
}

/// The body of `estargz_json`, returning the inspection (`None` for an input shorter than its
/// header), so tests can check that inputs reach the file model.
pub fn estargz_json_inspected(data: &[u8]) -> Option<InspectedLayer> {
    if data.len() < ESTARGZ_JSON_HEADER {
        return None;
    }
    let toc_offset = u64::from(u32::from_le_bytes(data[0..4].try_into().unwrap()));
    let json = &data[ESTARGZ_JSON_HEADER..];
    let _ = toc_fmt::parse(json);
    let mut tail = estargz_toc_member(json);
    tail.extend(estargz::footer_bytes(toc_offset));
    Some(inspect_estargz(
        VirtualBlob {
            pad: toc_offset,
            tail: &tail,
        },
        Digest::sha256(json).to_string(),
    ))
}

/// An eStargz TOC member holding `json`: a tar with the one entry `stargz.index.json`, in an
/// uncompressed (stored) gzip member.
pub fn estargz_toc_member(json: &[u8]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(json.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    tar.append_data(&mut h, estargz::TOC_TAR_NAME, json)
        .expect("writing to a Vec");
    let tar = tar.into_inner().expect("writing to a Vec");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
    std::io::Write::write_all(&mut gz, &tar).expect("writing to a Vec");
    gz.finish().expect("writing to a Vec")
}

/// Builds an `estargz_json` input (seed corpora).
pub fn estargz_json_input(toc_offset: u32, json: &[u8]) -> Vec<u8> {
    let mut v = toc_offset.to_le_bytes().to_vec();
    v.extend(json);
    v
}
