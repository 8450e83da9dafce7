//! The fuzz targets as a stable, deterministic smoke test.
//!
//! `fuzz/src/lib.rs` holds the bodies of the cargo-fuzz targets (footer, annotations, toc,
//! tarsplit, pax, inspect); this file includes it with `#[path]` and runs each body over the real
//! fixture bytes (footers, annotation texts, TOC JSON and frames, tar-splits, whole metadata
//! regions) mutated by a seeded pseudo-random generator: 20,000 inputs per target (set
//! `CHUNKSCOPE_FUZZ_ITERS` to change it). Every call runs under `catch_unwind`; any panic fails
//! the test and prints the input in hex and its file under target/tmp, ready to be copied into
//! fuzz/regressions/. It also replays every file in fuzz/regressions/ (named `<target>-*.bin`).
//!
//! This proves no panic on these inputs, not on all inputs: for that, run the real fuzzers
//! (`cd fuzz && cargo +nightly fuzz run <target>`, seeds from `write_fuzz_corpus` below).

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod bodies;
mod core_support;

use chunkscope::format::annotations::Section;
use core_support::*;
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Once, OnceLock};

type Body = fn(&[u8]);

const TARGETS: &[(&str, Body)] = &[
    ("footer", bodies::footer),
    ("annotations", bodies::annotations),
    ("toc", bodies::toc),
    ("tarsplit", bodies::tarsplit),
    ("pax", bodies::pax),
    ("inspect", bodies::inspect),
    ("plan", bodies::plan),
    ("ranges", bodies::ranges),
    ("estargz_footer", bodies::estargz_footer),
    ("estargz_toc", bodies::estargz_toc),
    ("estargz_json", bodies::estargz_json),
];

/// Regression inputs for bugs that are reported but not fixed yet: skipped by
/// `fuzz_regressions_do_not_panic` until their fix lands. Empty: every known bug is fixed.
const KNOWN_OPEN: &[&str] = &[];

/// Panics of open bugs, as (source file, panic message): the mutation tests count and print them
/// but do not fail on them, so that they keep looking for *other* panics. Empty: any panic fails.
const KNOWN_OPEN_PANICS: &[(&str, &str)] = &[];

fn iterations() -> usize {
    std::env::var("CHUNKSCOPE_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000)
}

/// Iterations for one target: the planner builds two layers and a plan per input, and
/// `estargz_json` a tar, a gzip member and a whole inspection, so they get a fifth (the fuzzer
/// proper runs them to a million).
fn iterations_for(target: &str) -> usize {
    if target == "plan" || target == "estargz_json" {
        iterations() / 5
    } else {
        iterations()
    }
}

/// xorshift64*: small, seeded, good enough to pick mutations.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const INTERESTING_BYTES: &[u8] = b"\x00\x01\x7f\x80\xff\"\\:0919-.{}[],\n eE+";
const INTERESTING_INTS: &[u64] = &[
    0,
    1,
    7,
    8,
    9,
    40,
    48,
    56,
    64,
    72,
    0x7f,
    0xff,
    0xffff,
    0x7fff_ffff,
    0xffff_ffff,
    150 << 20,
    (150 << 20) + 1,
    i64::MAX as u64,
    u64::MAX,
    u64::MAX - 1,
];

/// One to four random edits of `input`.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let n = v.len();
        match rng.below(9) {
            0 if n > 0 => {
                let i = rng.below(n);
                v[i] ^= 1 << rng.below(8);
            }
            1 if n > 0 => {
                let i = rng.below(n);
                v[i] = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())];
            }
            2 => {
                let i = rng.below(n + 1);
                let b = if rng.below(2) == 0 {
                    INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())]
                } else {
                    rng.next() as u8
                };
                v.insert(i, b);
            }
            3 if n > 0 => {
                let i = rng.below(n);
                let len = 1 + rng.below((n - i).min(64));
                v.drain(i..i + len);
            }
            4 if n > 0 => v.truncate(rng.below(n)),
            5 if n > 1 => {
                // Copy a slice over another place (duplicates JSON fields, frames, lines).
                let from = rng.below(n);
                let len = 1 + rng.below((n - from).min(256));
                let piece = v[from..from + len].to_vec();
                let to = rng.below(n);
                for (k, b) in piece.into_iter().enumerate() {
                    if to + k < v.len() {
                        v[to + k] = b;
                    }
                }
            }
            6 if n >= 8 => {
                let i = rng.below(n - 7);
                let x = INTERESTING_INTS[rng.below(INTERESTING_INTS.len())];
                if rng.below(2) == 0 {
                    v[i..i + 8].copy_from_slice(&x.to_le_bytes());
                } else {
                    v[i..i + 4].copy_from_slice(&(x as u32).to_le_bytes());
                }
            }
            7 if n > 0 => {
                // Overwrite a run of ASCII digits with a large or negative number.
                let i = rng.below(n);
                if v[i].is_ascii_digit() {
                    let mut j = i;
                    while j < v.len() && v[j].is_ascii_digit() {
                        j += 1;
                    }
                    let repl = [
                        "18446744073709551616",
                        "-1",
                        "9223372036854775807",
                        "0",
                        "1e3",
                    ][rng.below(5)];
                    v.splice(i..j, repl.bytes());
                }
            }
            _ => {
                // Splice the end of the input onto a random earlier point.
                if n > 1 {
                    let i = rng.below(n);
                    let j = rng.below(n);
                    let tail = v[j..].to_vec();
                    v.truncate(i);
                    v.extend(tail);
                }
            }
        }
    }
    v
}

struct Seeds {
    footer: Vec<Vec<u8>>,
    annotations: Vec<Vec<u8>>,
    toc: Vec<Vec<u8>>,
    tarsplit: Vec<Vec<u8>>,
    pax: Vec<Vec<u8>>,
    inspect: Vec<Vec<u8>>,
    plan: Vec<Vec<u8>>,
    ranges: Vec<Vec<u8>>,
    estargz_footer: Vec<Vec<u8>>,
    estargz_toc: Vec<Vec<u8>>,
    estargz_json: Vec<Vec<u8>>,
}

/// Seeds of the `pax` target: corners-current's tar-split segments whose header is a PAX `x` or
/// GNU `L`/`K` header (from the header on, the previous file's padding cut off), and the PAX
/// records of the first one alone.
fn pax_seeds() -> Vec<Vec<u8>> {
    use base64::Engine as _;
    let desc = descriptors("corners-current", "corners").remove(0);
    let hex = desc.digest.strip_prefix("sha256:").unwrap();
    let blob_path = fixtures_dir()
        .join("corners-current/blobs/sha256")
        .join(hex);
    let l = FixtureLayer {
        fixture: "corners-current",
        tag: "corners",
        current: true,
        index: 1,
        blob: std::fs::read(&blob_path).unwrap(),
        blob_path,
        desc,
    };
    let ts = l.tarsplit_via_cli().unwrap();
    let mut out = Vec::new();
    for line in ts.split(|&b| b == b'\n').filter(|s| !s.is_empty()) {
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        let Some(p) = v["payload"].as_str() else {
            continue;
        };
        let seg = base64::engine::general_purpose::STANDARD.decode(p).unwrap();
        // The header starts after the previous file's padding: where the ustar magic is.
        let Some(at) =
            (0..seg.len().saturating_sub(512)).find(|&i| seg[i + 257..i + 262] == *b"ustar")
        else {
            continue;
        };
        if matches!(seg[at + 156], b'x' | b'L' | b'K') && out.len() < 8 {
            if out.is_empty() {
                let size = usize::from_str_radix(
                    std::str::from_utf8(&seg[at + 124..at + 135])
                        .unwrap()
                        .trim_matches('\0'),
                    8,
                )
                .unwrap();
                out.push(seg[at + 512..at + 512 + size].to_vec());
            }
            out.push(seg[at..].to_vec());
        }
    }
    assert!(
        out.len() >= 5,
        "corners-current has PAX and GNU long-name headers"
    );
    out
}

/// `annotations` input for a layer: presence mask, then values joined by `\n`.
fn annotations_input(l: &FixtureLayer) -> Vec<u8> {
    let mut mask = 0u8;
    let mut values = Vec::new();
    for (i, key) in bodies::ANNOTATION_KEYS.iter().enumerate() {
        if let Some(v) = l.desc.annotations.get(*key) {
            mask |= 1 << i;
            values.push(v.clone());
        }
    }
    let mut out = vec![mask];
    out.extend(values.join("\n").into_bytes());
    out
}

/// A consistent small TOC + tar-split pair: the first `n` tar members of a layer.
fn small_tarsplit_input(l: &FixtureLayer, members: usize) -> Vec<u8> {
    let ts = l.tarsplit_via_cli().unwrap();
    let mut lines = Vec::new();
    let mut names = Vec::new();
    for line in ts.split(|&b| b == b'\n').filter(|s| !s.is_empty()) {
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        lines.push(line);
        if v["type"] == 1 {
            names.push(v["name"].as_str().unwrap().to_string());
            if names.len() == members {
                break;
            }
        }
    }
    let mut toc: serde_json::Value = serde_json::from_slice(&l.toc_json_via_cli()).unwrap();
    toc["entries"]
        .as_array_mut()
        .unwrap()
        .retain(|e| names.iter().any(|n| e["name"] == n.as_str()));
    let mut out = serde_json::to_vec(&toc).unwrap();
    out.push(0);
    out.extend(lines.join(&b'\n'));
    out.push(b'\n');
    out
}

/// A small TOC: the first `n` entries of a layer's TOC, as JSON.
fn small_toc(l: &FixtureLayer, n: usize) -> Vec<u8> {
    let mut toc: serde_json::Value = serde_json::from_slice(&l.toc_json_via_cli()).unwrap();
    toc["entries"].as_array_mut().unwrap().truncate(n);
    serde_json::to_vec(&toc).unwrap()
}

/// A layer's chunk extents as `ranges` parts (every third local, every fifth a hole).
fn toc_parts(l: &FixtureLayer) -> Vec<(u64, u32, u8, u32)> {
    let toc: serde_json::Value = serde_json::from_slice(&l.toc_json_via_cli()).unwrap();
    toc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| Some((e["offset"].as_u64()?, e["endOffset"].as_u64()?)))
        .filter(|(a, b)| b > a)
        .enumerate()
        .map(|(i, (a, b))| {
            let source = if i % 5 == 4 { 2 } else { u8::from(i % 3 == 2) };
            (a, (b - a) as u32, source, (i / 2) as u32)
        })
        .collect()
}

/// A blob of a fixture layout (its only layer).
fn fixture_blob(name: &str) -> Vec<u8> {
    let d = &descriptors(name, "latest")[0];
    std::fs::read(
        fixtures_dir()
            .join(name)
            .join("blobs/sha256")
            .join(d.digest.strip_prefix("sha256:").unwrap()),
    )
    .unwrap()
}

/// An eStargz TOC member as stargz-snapshotter writes it: gzip(tar(`stargz.index.json`)).
fn estargz_toc_member(json: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(json.len() as u64);
    h.set_mode(0o644);
    tar.append_data(&mut h, "stargz.index.json", json).unwrap();
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

/// eStargz seeds: the real footers (and the stargz zstd:chunked blob's last 51 bytes, which
/// containers/storage misreads), the 47-byte legacy footer; the real TOC members and small
/// ones with the first entries of the real TOC.
fn estargz_seeds(s: &mut Seeds) {
    for name in [
        "estargz-small",
        "estargz-pair-b",
        "stargz-zstdchunked-small",
    ] {
        let blob = fixture_blob(name);
        s.estargz_footer.push(blob[blob.len() - 51..].to_vec());
    }
    let mut legacy = vec![0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 22, 0];
    legacy.extend_from_slice(b"0000000000000100STARGZ");
    legacy.extend_from_slice(&[1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
    s.estargz_footer.push(legacy);
    let blob = fixture_blob("estargz-small");
    let off = chunkscope::format::estargz::parse_footer(&blob[blob.len() - 51..])
        .unwrap()
        .toc_offset as usize;
    let member = blob[off..blob.len() - 51].to_vec();
    let json = chunkscope::format::estargz::read_toc(&member, 1 << 20)
        .unwrap()
        .json;
    let mut toc: serde_json::Value = serde_json::from_slice(&json).unwrap();
    // The TOC JSON alone, at its real offset: small prefixes of it here, the whole one in the
    // fuzz corpus (entry 0 is the no-prefetch landmark, 10..22 a chunked file, 27 a hard link).
    for n in [3usize, 12, 30] {
        let mut small = toc.clone();
        small["entries"].as_array_mut().unwrap().truncate(n);
        s.estargz_json.push(bodies::estargz_json_input(
            off as u32,
            &serde_json::to_vec(&small).unwrap(),
        ));
    }
    for n in [12usize, 30] {
        let mut small = toc.clone();
        small["entries"].as_array_mut().unwrap().truncate(n);
        s.estargz_toc
            .push(estargz_toc_member(&serde_json::to_vec(&small).unwrap()));
    }
    toc["entries"].as_array_mut().unwrap().truncate(4);
    // Stored (level 0) so that mutations hit the JSON, not only the deflate stream.
    let mut tar = tar::Builder::new(Vec::new());
    let text = serde_json::to_vec(&toc).unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_size(text.len() as u64);
    tar.append_data(&mut h, "stargz.index.json", &text[..])
        .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
    std::io::Write::write_all(&mut gz, &tar.into_inner().unwrap()).unwrap();
    s.estargz_toc.push(gz.finish().unwrap());
    // The real 11 KB member is a seed of the fuzz corpus only (`write_fuzz_corpus`): mutating
    // it here costs too much time per input.
    drop(member);
}

/// Seeds from the real fixtures. Kept small where the body is expensive, so 20,000 debug-build
/// iterations stay fast; the full-size inputs go to the fuzz corpus instead.
fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let tiny = layer("tiny-current", 1);
        let legacy = layer("tiny-legacy", 1);
        let pair = layer("pair-b", 2);
        let mut s = Seeds {
            footer: Vec::new(),
            annotations: Vec::new(),
            toc: Vec::new(),
            tarsplit: Vec::new(),
            pax: Vec::new(),
            inspect: Vec::new(),
            plan: Vec::new(),
            ranges: Vec::new(),
            estargz_footer: Vec::new(),
            estargz_toc: Vec::new(),
            estargz_json: Vec::new(),
        };
        estargz_seeds(&mut s);
        for l in [&tiny, &legacy, &pair] {
            s.footer.push(l.blob[l.blob.len() - 72..].to_vec());
            s.annotations.push(annotations_input(l));
        }
        // The v1.47–1.49 56-byte footer, built from the legacy one.
        let mut buggy = legacy.blob[legacy.blob.len() - 72..legacy.blob.len() - 8].to_vec();
        buggy[0..8].copy_from_slice(&skippable_header(56));
        buggy.extend([0u8; 8]);
        let n = buggy.len();
        buggy[n - 24..n - 16].copy_from_slice(b"GnUlInUx");
        s.footer.push(buggy);
        s.annotations.push({
            let mut v = vec![0b1100_0000u8];
            v.extend(
                b"sha256:2a29e3f3e5e30b7e26cabf30cd1798ef3a0fa5dae6e651f19adbcf88c68a50d5\n123",
            );
            v
        });
        s.toc.push(small_toc(&tiny, 20));
        s.toc.push(small_toc(&legacy, 20));
        s.toc.push(zstd_compress(&small_toc(&tiny, 30)));
        s.toc.push(tiny.bytes(tiny.toc_position()).to_vec()); // the real compressed TOC
        s.tarsplit.push(small_tarsplit_input(&tiny, 6));
        s.tarsplit.push(small_tarsplit_input(&pair, 4));
        // pax: the corners tar-split's header segments that carry PAX records or GNU long names
        // (xattrs with newlines and NULs, record look-alikes, long and non-UTF-8 paths, negative
        // fractional times), plus one PAX record list on its own.
        s.pax.extend(pax_seeds());
        // inspect: a rebuilt tiny layer whose metadata covers only its first 6 tar members
        // (cheap to re-inspect) after a 64-byte stand-in for the payload, in several annotation
        // and option modes; plus the real tiny-legacy metadata region.
        let small = {
            let input = small_tarsplit_input(&tiny, 6);
            let zero = input.iter().position(|&b| b == 0).unwrap();
            let toc: serde_json::Value = serde_json::from_slice(&input[..zero]).unwrap();
            let r = rebuild(&tiny, toc, &input[zero + 1..]);
            // Keep the last 64 payload bytes only: the TOC's offsets then point past the short
            // payload and the model flags them, which is fine for fuzzing.
            let cut = r.toc.offset - 8 - 64;
            let ts: Vec<u64> = r.annotations["io.github.containers.zstd-chunked.tarsplit-position"]
                .split(':')
                .map(|x| x.parse().unwrap())
                .collect();
            (
                r.blob[cut as usize..].to_vec(),
                Section {
                    offset: r.toc.offset - cut,
                    ..r.toc
                },
                Section {
                    offset: ts[0] - cut,
                    length: ts[1],
                    uncompressed_length: ts[2],
                },
            )
        };
        for flags in [
            0b0110_1001u8,
            0b0110_1011,
            0b0110_1111,
            0b0111_0001,
            0b0000_0001,
            0b0101_1001,
            0b1000_0000,
        ] {
            s.inspect.push(bodies::inspect_input(
                &small.0,
                flags,
                small.1,
                Some(small.2),
            ));
        }
        s.inspect.push(bodies::inspect_input(
            &legacy.blob,
            0b0011_0001,
            legacy.toc_position(),
            None,
        ));
        // plan: pair-a's layer wanted with pair-b's in the store (first 12 TOC entries each),
        // and tiny against itself, under several behaviours and options.
        let pair_a = layer("pair-a", 2);
        for (flags, behaviour) in [(0b001u8, 0u8), (0b011, 1), (0b101, 4), (0b1001, 3)] {
            s.plan.push(bodies::plan_input(
                flags,
                8,
                behaviour,
                pair_a.blob.len() as u64,
                &small_toc(&pair_a, 12),
                &small_toc(&pair, 12),
            ));
        }
        s.plan.push(bodies::plan_input(
            1,
            0,
            2,
            tiny.blob.len() as u64,
            &small_toc(&tiny, 12),
            &small_toc(&tiny, 12),
        ));
        // ranges: the chunk extents of pair-a's TOC, remote, local and holes mixed.
        s.ranges.push(bodies::ranges_input(16, &toc_parts(&pair_a)));
        s.ranges.push(bodies::ranges_input(2, &toc_parts(&tiny)));
        s
    })
}

fn seeds_for(target: &str) -> &'static [Vec<u8>] {
    let s = seeds();
    match target {
        "footer" => &s.footer,
        "annotations" => &s.annotations,
        "toc" => &s.toc,
        "tarsplit" => &s.tarsplit,
        "pax" => &s.pax,
        "inspect" => &s.inspect,
        "plan" => &s.plan,
        "ranges" => &s.ranges,
        "estargz_footer" => &s.estargz_footer,
        "estargz_toc" => &s.estargz_toc,
        "estargz_json" => &s.estargz_json,
        _ => unreachable!(),
    }
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

thread_local! {
    /// Set while a body runs: its panics are recorded here instead of printed.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC_FILE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A panic hook that records where a body panicked (and stays quiet for those panics only;
/// every other panic, e.g. a failing assertion of another test, is printed as usual).
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let file = info
                    .location()
                    .map(|l| l.file().to_string())
                    .unwrap_or_default();
                LAST_PANIC_FILE.with(|f| *f.borrow_mut() = file);
            } else {
                previous(info)
            }
        }));
    });
}

/// A panic of a body.
struct Crash {
    message: String,
    file: String,
    report: String,
}

impl Crash {
    fn known_open(&self) -> bool {
        KNOWN_OPEN_PANICS
            .iter()
            .any(|(file, msg)| self.file.ends_with(file) && self.message.contains(msg))
    }
}

/// Runs `body` on `input`; on a panic, saves the input and describes where it panicked.
fn run_one(target: &str, body: Body, input: &[u8]) -> Result<(), Crash> {
    install_panic_hook();
    QUIET.with(|q| q.set(true));
    let res = catch_unwind(AssertUnwindSafe(|| body(input)));
    QUIET.with(|q| q.set(false));
    match res {
        Ok(()) => Ok(()),
        Err(p) => {
            let message = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let file = LAST_PANIC_FILE.with(|f| f.borrow().clone());
            let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("{target}-crash-{}.bin", &sha256_hex(input)[7..19]));
            std::fs::write(&path, input).ok();
            let shown = if input.len() <= 512 {
                hex(input)
            } else {
                format!("{} bytes", input.len())
            };
            let report = format!(
                "{target}: panic {message:?} in {file}\n  input saved to {} (copy it to fuzz/regressions/)\n  input: {shown}",
                path.display()
            );
            Err(Crash {
                message,
                file,
                report,
            })
        }
    }
}

fn smoke(target: &str) {
    let body = TARGETS.iter().find(|t| t.0 == target).unwrap().1;
    let seeds = seeds_for(target);
    for s in seeds {
        if let Err(c) = run_one(target, body, s) {
            panic!("unmutated seed: {}", c.report);
        }
    }
    // Different stream per target, same stream on every run.
    let mut rng =
        Rng(0x9E37_79B9_7F4A_7C15 ^ target.len() as u64 ^ (target.as_bytes()[0] as u64) << 32);
    let mut failures = Vec::new();
    let mut known = 0;
    let mut current = seeds[0].clone();
    for i in 0..iterations_for(target) {
        // Mostly fresh mutations of a seed; sometimes keep mutating the last input.
        let base = if i % 4 == 3 {
            current.clone()
        } else {
            seeds[rng.below(seeds.len())].clone()
        };
        let input = mutate(&mut rng, &base);
        match run_one(target, body, &input) {
            Ok(()) => current = input,
            Err(c) if c.known_open() => known += 1,
            Err(c) => {
                failures.push(c.report);
                if failures.len() >= 5 {
                    break;
                }
            }
        }
    }
    if known > 0 {
        eprintln!("{target}: {known} input(s) hit already reported bugs (KNOWN_OPEN_PANICS)");
    }
    assert!(
        failures.is_empty(),
        "{} panic(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn footer_survives_mutation() {
    smoke("footer");
}

#[test]
fn annotations_survive_mutation() {
    smoke("annotations");
}

#[test]
fn toc_survives_mutation() {
    smoke("toc");
}

#[test]
fn tarsplit_survives_mutation() {
    smoke("tarsplit");
}

#[test]
fn estargz_footer_survives_mutation() {
    smoke("estargz_footer");
}

#[test]
fn estargz_toc_survives_mutation() {
    smoke("estargz_toc");
}

#[test]
fn estargz_json_survives_mutation() {
    smoke("estargz_json");
}

#[test]
fn pax_survives_mutation() {
    smoke("pax");
}

#[test]
fn inspect_survives_mutation() {
    smoke("inspect");
}

#[test]
fn plan_survives_mutation() {
    smoke("plan");
}

#[test]
fn ranges_survives_mutation() {
    smoke("ranges");
}

/// The seeds themselves behave as the real data does: the inspect seeds reach the TOC parser
/// and the tar-split check (otherwise mutating them would test little).
#[test]
fn inspect_seeds_get_past_authentication() {
    let s = &seeds_for("inspect")[0];
    let flags = s[0];
    assert_eq!(flags & 0x20, 0x20, "true digest");
    // Rebuild the same descriptor the body builds and inspect it, to see how far it gets.
    let pad = u32::from_le_bytes(s[1..5].try_into().unwrap()) as usize;
    let mut blob = vec![0u8; pad];
    blob.extend(&s[bodies::INSPECT_HEADER..]);
    let u = |i: usize| u32::from_le_bytes(s[i..i + 4].try_into().unwrap());
    let ns = "io.github.containers.zstd-chunked.";
    let toc = (u(5) as usize, u(9) as usize);
    let mut ann = std::collections::BTreeMap::new();
    ann.insert(
        format!("{ns}manifest-checksum"),
        sha256_hex(&blob[toc.0..toc.0 + toc.1]),
    );
    ann.insert(
        format!("{ns}manifest-position"),
        format!("{}:{}:{}:1", u(5), u(9), u(13)),
    );
    ann.insert(
        format!("{ns}tarsplit-position"),
        format!("{}:{}:{}", u(17), u(21), u(25)),
    );
    let (err, done) = drive(
        &descriptor_for(&blob, ann),
        chunkscope::inspect::InspectOptions {
            tar_split: true,
            ..Default::default()
        },
        &blob,
    );
    assert!(err.is_none(), "{err:?}");
    let r = done.report;
    assert_eq!(
        r.checks
            .get(&chunkscope::inspect::report::CheckName::TocMatchesTarsplit)
            .map(|c| c.state),
        Some(chunkscope::inspect::report::CheckState::Pass),
        "{:?}",
        r.checks
    );
    assert!(r.tar_split.unwrap().digest_verified);
}

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions")
}

/// The `estargz_json` harness frames its seeds well enough that they get past the TOC digest and
/// the member's framing: each reaches the file model with exactly its entries, and no error.
#[test]
fn estargz_json_seeds_reach_the_file_model() {
    let seeds = seeds_for("estargz_json");
    assert_eq!(seeds.len(), 3);
    for (s, n) in seeds.iter().zip([3usize, 12, 30]) {
        let done = bodies::estargz_json_inspected(s).expect("a seed has its header");
        assert_eq!(done.report.error, None, "{n}-entry seed");
        assert_eq!(done.report.entries, n);
        assert!(done.files.is_some(), "{n}-entry seed: no file model");
        assert!(done.report.estargz.as_ref().unwrap().toc_digest_verified);
    }
    // A flipped byte in the JSON is still authenticated (the harness digests what it frames), so
    // it reaches the parser: here a type the TOC schema does not have.
    let mut bad = seeds[0].clone();
    let at = bad.windows(5).position(|w| w == b"\"reg\"").unwrap() + 1;
    bad[at] = b'x';
    let done = bodies::estargz_json_inspected(&bad).unwrap();
    assert_eq!(
        done.report.error.as_ref().map(|e| e.kind()),
        Some(chunkscope::ErrorKind::Format)
    );
}

/// Every saved crash input (fuzz/regressions/<target>-*.bin) runs without a panic, except the
/// ones listed in [`KNOWN_OPEN`].
#[test]
fn fuzz_regressions_do_not_panic() {
    let mut failures = Vec::new();
    let mut n = 0;
    for entry in std::fs::read_dir(regressions_dir()).expect("fuzz/regressions exists") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".bin") || KNOWN_OPEN.contains(&name.as_str()) {
            continue;
        }
        let (target, body) = TARGETS
            .iter()
            .find(|(t, _)| name.starts_with(&format!("{t}-")))
            .unwrap_or_else(|| panic!("{name}: name must start with a target name"));
        n += 1;
        if let Err(c) = run_one(target, *body, &std::fs::read(&path).unwrap()) {
            failures.push(format!("{name}: {}", c.report));
        }
    }
    eprintln!("{n} regression input(s) replayed");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Replays one regression file; fails on a panic.
fn replay(name: &str) {
    let (target, body) = TARGETS
        .iter()
        .find(|(t, _)| name.starts_with(&format!("{t}-")))
        .unwrap();
    if let Err(c) = run_one(
        target,
        *body,
        &std::fs::read(regressions_dir().join(name)).unwrap(),
    ) {
        panic!("{}", c.report);
    }
}

#[test]
fn regression_inspect_footer_end_overflow() {
    replay("inspect-footer-end-overflow.bin");
}

#[test]
fn regression_toc_payload_bytes_overflow() {
    replay("toc-payload-bytes-overflow.bin");
}

#[test]
fn regression_tarsplit_tar_size_overflow() {
    replay("tarsplit-tar-size-overflow.bin");
}

/// Writes seed corpora for cargo-fuzz to fuzz/corpus/<target>/ (full-size fixture inputs too).
/// `cargo test --test fuzz_smoke write_fuzz_corpus -- --ignored`
#[test]
#[ignore = "writes files: run by hand before fuzzing"]
fn write_fuzz_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut extra: Vec<(&str, Vec<u8>)> = Vec::new();
    for l in all_layers() {
        extra.push(("toc", l.toc_json_via_cli()));
        extra.push(("toc", l.bytes(l.toc_position()).to_vec()));
        let flags = if l.current { 0b0110_1001 } else { 0b0011_0001 };
        extra.push((
            "inspect",
            bodies::inspect_input(&l.blob, flags, l.toc_position(), l.tarsplit_position()),
        ));
        extra.push((
            "inspect",
            bodies::inspect_input(&l.blob, 0b0000_0011, l.toc_position(), None),
        ));
        if l.current {
            extra.push((
                "plan",
                bodies::plan_input(1, 0, 0, l.blob.len() as u64, &l.toc_json_via_cli(), b""),
            ));
            extra.push(("ranges", bodies::ranges_input(32, &toc_parts(&l))));
        }
        if l.current && l.fixture == "tiny-current" {
            let mut ts = l.toc_json_via_cli();
            ts.push(0);
            ts.extend(l.tarsplit_via_cli().unwrap());
            extra.push(("tarsplit", ts));
        }
    }
    for name in ["estargz-small", "estargz-pair-b"] {
        let blob = fixture_blob(name);
        let off = chunkscope::format::estargz::parse_footer(&blob[blob.len() - 51..])
            .unwrap()
            .toc_offset as usize;
        let member = blob[off..blob.len() - 51].to_vec();
        let json = chunkscope::format::estargz::read_toc(&member, 1 << 20)
            .unwrap()
            .json;
        extra.push((
            "estargz_json",
            bodies::estargz_json_input(off as u32, &json),
        ));
        extra.push(("estargz_toc", member));
    }
    for &(target, _) in TARGETS {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        let all = seeds_for(target).iter().cloned().chain(
            extra
                .iter()
                .filter(|(t, _)| *t == target)
                .map(|(_, v)| v.clone()),
        );
        for input in all {
            std::fs::write(
                dir.join(format!("seed-{}", &sha256_hex(&input)[7..23])),
                &input,
            )
            .unwrap();
        }
    }
}
