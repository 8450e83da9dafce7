//! Shared helpers for the integration tests: where the fixtures are, how to load their layers, a
//! wrapper around the `zstd` command line (the independent decoder/encoder the tests compare
//! against), the CLI runner, and the environment the registry tests need.
//!
//! Not every test binary uses every helper.
#![allow(dead_code)]

use chunkscope::format::annotations::{LayerAnnotations, Section};
use chunkscope::inspect::{ByteRange, InspectOptions, LayerInspection};
use chunkscope::oci::Descriptor;
use chunkscope::source::layout::OciLayout;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `(layout directory, tag, is the current format)` for every fixture in tests/fixtures.
pub const FIXTURES: &[(&str, &str, bool)] = &[
    ("tiny-current", "tiny", true),
    ("tiny-legacy", "tiny", false),
    ("pair-a", "pair-a", true),
    ("pair-b", "pair-b", true),
    ("pair-a-legacy", "pair-a", false),
    ("pair-b-legacy", "pair-b", false),
];

pub const LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A fixture image inspected from its OCI layout, TOCs only (what a planner needs).
pub fn image_toc_only(name: &str) -> chunkscope::source::InspectedImage {
    let mut src = OciLayout::open(&fixtures_dir().join(name), None).unwrap();
    let opts = InspectOptions {
        tar_split: false,
        footer: false,
        files: false,
    };
    chunkscope::source::inspect_image_blocking(&mut src, name, None, opts).unwrap()
}

/// One layer of one fixture, with its blob loaded.
pub struct FixtureLayer {
    pub fixture: &'static str,
    pub tag: &'static str,
    pub current: bool,
    /// 1-based, as in the fixtures README.
    pub index: usize,
    pub desc: Descriptor,
    pub blob_path: PathBuf,
    pub blob: Vec<u8>,
}

impl FixtureLayer {
    /// `fixture L<index>`, for assertion messages.
    pub fn name(&self) -> String {
        format!("{} L{}", self.fixture, self.index)
    }

    /// The zstd:chunked annotations, parsed by the library.
    pub fn annotations(&self) -> chunkscope::format::annotations::ChunkedAnnotations {
        match LayerAnnotations::parse(&self.desc.annotations).expect("fixture annotations parse") {
            LayerAnnotations::ZstdChunked(c) => c,
            other => panic!("{}: not zstd:chunked annotations: {other:?}", self.name()),
        }
    }

    /// The annotation namespace this fixture uses.
    pub fn namespace(&self) -> &'static str {
        if self.current {
            "io.github.containers.zstd-chunked."
        } else {
            "io.containers.zstd-chunked."
        }
    }

    /// An annotation value, by key without the namespace.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.desc
            .annotations
            .get(&format!("{}{key}", self.namespace()))
            .map(String::as_str)
    }

    /// The TOC position, read from the annotation text by this test (not by the library).
    pub fn toc_position(&self) -> Section {
        let v = parse_ints(
            self.annotation("manifest-position")
                .expect("manifest-position"),
        );
        assert_eq!(
            v.len(),
            4,
            "{}: manifest-position has 4 fields",
            self.name()
        );
        Section {
            offset: v[0],
            length: v[1],
            uncompressed_length: v[2],
        }
    }

    /// The tar-split position, read from the annotation text by this test.
    pub fn tarsplit_position(&self) -> Option<Section> {
        self.annotation("tarsplit-position").map(|s| {
            let v = parse_ints(s);
            assert_eq!(
                v.len(),
                3,
                "{}: tarsplit-position has 3 fields",
                self.name()
            );
            Section {
                offset: v[0],
                length: v[1],
                uncompressed_length: v[2],
            }
        })
    }

    pub fn bytes(&self, s: Section) -> &[u8] {
        &self.blob[s.offset as usize..(s.offset + s.length) as usize]
    }

    /// The uncompressed TOC JSON, decoded by the `zstd` CLI.
    pub fn toc_json_via_cli(&self) -> Vec<u8> {
        zstd_cli(&["-d", "-c"], self.bytes(self.toc_position()))
    }

    /// The uncompressed tar-split, decoded by the `zstd` CLI.
    pub fn tarsplit_via_cli(&self) -> Option<Vec<u8>> {
        self.tarsplit_position()
            .map(|s| zstd_cli(&["-d", "-c"], self.bytes(s)))
    }
}

fn parse_ints(s: &str) -> Vec<u64> {
    s.split(':')
        .map(|p| {
            p.parse()
                .unwrap_or_else(|_| panic!("bad integer {p:?} in {s:?}"))
        })
        .collect()
}

/// The layer descriptors of one fixture, read from its index.json and manifest.
pub fn descriptors(fixture: &str, tag: &str) -> Vec<Descriptor> {
    let mut src =
        OciLayout::open(&fixtures_dir().join(fixture), Some(tag)).expect("fixture layout opens");
    // Only the manifest is wanted here; `inspect_image_blocking` is the stable public way to read it.
    chunkscope::source::inspect_image_blocking(&mut src, fixture, None, InspectOptions::default())
        .expect("fixture manifest")
        .manifest
        .layers
}

/// Every layer of every fixture, blobs loaded.
pub fn all_layers() -> Vec<FixtureLayer> {
    let mut out = Vec::new();
    for &(fixture, tag, current) in FIXTURES {
        for (i, desc) in descriptors(fixture, tag).into_iter().enumerate() {
            let hex = desc.digest.strip_prefix("sha256:").expect("sha256 digest");
            let blob_path = fixtures_dir().join(fixture).join("blobs/sha256").join(hex);
            let blob = std::fs::read(&blob_path).expect("fixture blob");
            assert_eq!(blob.len() as u64, desc.size, "{fixture}: blob size");
            out.push(FixtureLayer {
                fixture,
                tag,
                current,
                index: i + 1,
                desc,
                blob_path,
                blob,
            });
        }
    }
    out
}

/// Every distinct layer blob of the fixtures (pair-b's layer 1 is pair-a's: listed once).
pub fn distinct_layers() -> Vec<FixtureLayer> {
    let mut seen = std::collections::HashSet::new();
    all_layers()
        .into_iter()
        .filter(|l| seen.insert(l.desc.digest.clone()))
        .collect()
}

/// One layer, by fixture name and 1-based index.
pub fn layer(fixture: &str, index: usize) -> FixtureLayer {
    all_layers()
        .into_iter()
        .find(|l| l.fixture == fixture && l.index == index)
        .unwrap_or_else(|| panic!("no layer {fixture} L{index}"))
}

/// Runs the `zstd` CLI with `args`, feeding `input` on stdin, and returns stdout. Fails the test
/// (does not skip it) when `zstd` is missing: CI installs it, and these tests are meaningless
/// without an independent decoder.
pub fn zstd_cli(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("zstd")
        .args(args)
        .arg("-q")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run the `zstd` command line ({e}); install it (Debian: apt-get install zstd)")
        });
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("zstd runs");
    writer.join().expect("stdin writer");
    assert!(
        out.status.success(),
        "zstd {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Compresses with the `zstd` CLI (one frame).
pub fn zstd_compress(data: &[u8]) -> Vec<u8> {
    zstd_cli(&["-c", "-3"], data)
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(data);
    let mut s = String::from("sha256:");
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Reads `range` of an in-memory blob, as a driver would.
pub fn slice(blob: &[u8], r: ByteRange) -> Vec<u8> {
    blob[r.offset as usize..r.end() as usize].to_vec()
}

/// Drives a [`LayerInspection`] over an in-memory blob. Returns the first typed error `feed`
/// returned (if any) and the finished inspection.
pub fn drive(
    desc: &Descriptor,
    opts: InspectOptions,
    blob: &[u8],
) -> (
    Option<chunkscope::Error>,
    chunkscope::inspect::InspectedLayer,
) {
    let mut insp = LayerInspection::new(desc, opts);
    let mut err = None;
    while let Some(r) = insp.next_read() {
        assert!(r.end() <= blob.len() as u64, "read {r:?} past the blob");
        if let Err(e) = insp.feed(&slice(blob, r)) {
            err = Some(e);
            break;
        }
    }
    assert!(
        insp.next_read().is_none(),
        "an error must end the inspection"
    );
    (err, insp.finish())
}

/// A layer descriptor for an in-memory blob.
pub fn descriptor_for(blob: &[u8], annotations: BTreeMap<String, String>) -> Descriptor {
    Descriptor {
        media_type: LAYER_ZSTD.into(),
        digest: sha256_hex(blob),
        size: blob.len() as u64,
        annotations,
        platform: None,
        urls: Vec::new(),
    }
}

/// The 8-byte skippable-frame header the zstd:chunked writer puts before each metadata section.
pub fn skippable_header(len: usize) -> [u8; 8] {
    let mut h = [0u8; 8];
    h[..4].copy_from_slice(&0x184D_2A50u32.to_le_bytes());
    h[4..].copy_from_slice(&(len as u32).to_le_bytes());
    h
}

/// A rebuilt zstd:chunked blob: the real payload frames of a fixture layer followed by new
/// metadata, laid out the way the current writer lays it out.
pub struct Rebuilt {
    pub blob: Vec<u8>,
    pub annotations: BTreeMap<String, String>,
    pub toc: Section,
}

impl Rebuilt {
    pub fn descriptor(&self) -> Descriptor {
        descriptor_for(&self.blob, self.annotations.clone())
    }
}

/// Appends `[skippable TOC][skippable tar-split][72-byte footer]` (or, without a tar-split,
/// `[skippable TOC][48-byte legacy footer]`) to `prefix`, and writes the matching current
/// annotations (digest of the compressed TOC as given).
pub fn assemble(
    prefix: &[u8],
    toc_compressed: &[u8],
    toc_uncompressed_len: u64,
    tar_split: Option<(&[u8], u64)>,
) -> Rebuilt {
    let mut blob = prefix.to_vec();
    blob.extend(skippable_header(toc_compressed.len()));
    let toc = Section {
        offset: blob.len() as u64,
        length: toc_compressed.len() as u64,
        uncompressed_length: toc_uncompressed_len,
    };
    blob.extend(toc_compressed);
    let mut ann = BTreeMap::new();
    let ns = "io.github.containers.zstd-chunked.";
    ann.insert(format!("{ns}manifest-checksum"), sha256_hex(toc_compressed));
    ann.insert(
        format!("{ns}manifest-position"),
        format!(
            "{}:{}:{}:1",
            toc.offset, toc.length, toc.uncompressed_length
        ),
    );
    let mut footer = Vec::new();
    match tar_split {
        Some((ts, ts_ulen)) => {
            blob.extend(skippable_header(ts.len()));
            let ts_off = blob.len() as u64;
            blob.extend(ts);
            ann.insert(
                format!("{ns}tarsplit-position"),
                format!("{ts_off}:{}:{ts_ulen}", ts.len()),
            );
            footer.extend(skippable_header(64));
            for x in [
                toc.offset,
                toc.length,
                toc.uncompressed_length,
                1,
                ts_off,
                ts.len() as u64,
                ts_ulen,
            ] {
                footer.extend(x.to_le_bytes());
            }
            footer.extend(b"GNUlInUx");
        }
        None => {
            footer.extend(skippable_header(40));
            for x in [toc.offset, toc.length, toc.uncompressed_length, 1] {
                footer.extend(x.to_le_bytes());
            }
            footer.extend(b"GnUlInUx");
        }
    }
    blob.extend(footer);
    Rebuilt {
        blob,
        annotations: ann,
        toc,
    }
}

/// Rebuilds a current-format layer from a fixture's payload frames, a (possibly edited) TOC and
/// a (possibly edited) uncompressed tar-split. The TOC's `tarSplitDigest` is set to the digest of
/// the newly compressed tar-split, so the only inconsistencies are the ones the caller made.
pub fn rebuild(layer: &FixtureLayer, mut toc: serde_json::Value, tar_split: &[u8]) -> Rebuilt {
    let prefix = &layer.blob[..(layer.toc_position().offset - 8) as usize];
    let ts = zstd_compress(tar_split);
    toc["tarSplitDigest"] = serde_json::Value::String(sha256_hex(&ts));
    let json = serde_json::to_vec(&toc).expect("TOC serializes");
    let toc_z = zstd_compress(&json);
    assemble(
        prefix,
        &toc_z,
        json.len() as u64,
        Some((&ts, tar_split.len() as u64)),
    )
}

/// The independent checker's report for one fixture layer (tests/fixtures/inspect/<fixture>.json).
pub fn checker_report(fixture: &str, digest: &str) -> serde_json::Value {
    let path = fixtures_dir().join(format!("inspect/{fixture}.json"));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("checker report")).expect("json");
    v.as_array()
        .expect("array of images")
        .iter()
        .flat_map(|img| img["layers"].as_array().expect("layers").iter())
        .find(|l| l["digest"] == digest)
        .unwrap_or_else(|| panic!("{digest} not in {}", path.display()))
        .clone()
}

/// Asserts that the inspection ended without an error and that every check that ran passed,
/// naming the failed check and its detail otherwise.
pub fn assert_all_checks_pass(name: &str, r: &chunkscope::inspect::report::LayerReport) {
    assert_eq!(r.error, None, "{name}: inspection error");
    assert!(!r.checks.is_empty(), "{name}: no checks ran");
    for (check, c) in &r.checks {
        assert!(
            c.passed(),
            "{name}: check {check:?} failed: {}",
            c.detail.as_deref().unwrap_or("")
        );
    }
}

/// An address `scripts/test.sh` exports (registries, fronts, logs). Missing, the test fails:
/// these tests prove behaviour against real servers and must not pass without them.
pub fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run through scripts/test.sh (npm test), which starts the registries and fronts")
    })
}

/// Runs the chunkscope CLI: exit code, stdout as JSON (`Null` when it is not JSON), stderr.
/// A panic fails the test.
pub fn cli(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chunkscope"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json, stderr)
}

/// `docker://HOST:PORT/IMAGE` for a registry URL (`http://HOST:PORT`).
pub fn docker(url: &str, image: &str) -> String {
    format!("docker://{}/{image}", url.trim_start_matches("http://"))
}

/// Asserts that every layer of an image report (`--json`, `inspectImage`) has no error and
/// passes every check.
pub fn assert_json_checks_pass(report: &serde_json::Value, what: &str) {
    let layers = report["layers"].as_array().expect("layers");
    assert!(!layers.is_empty(), "{what}: no layers");
    for l in layers {
        assert!(l["error"].is_null(), "{what}: {}", l["error"]);
        let checks = l["checks"].as_object().expect("checks");
        assert!(!checks.is_empty(), "{what}: no checks ran");
        for (name, c) in checks {
            assert_eq!(c["state"], "pass", "{what}: {name}: {}", c["detail"]);
        }
    }
}

/// The reference's plan for pulling `want` into a store holding `have`.
pub fn plan_images(
    want: &chunkscope::source::InspectedImage,
    have: &[&chunkscope::source::InspectedImage],
    opts: &chunkscope::plan::PlanOptions,
) -> chunkscope::plan::PullPlan {
    use chunkscope::plan::LayerInput;
    let w = LayerInput::image(want);
    let h: Vec<LayerInput> = have.iter().flat_map(|i| LayerInput::image(i)).collect();
    chunkscope::plan::plan_pull(&w, &h, opts)
}
