//! Planning time for two images of 20,000 files each (the target: under 100 ms in wasm).
//!
//! `cargo bench --bench planner`. Synthesises a "have" layer of 20k regular files (1–3 chunks
//! each, a few directories, empty files and zeros chunks) and a "want" layer derived from it:
//! 5% of the files changed (for multi-chunk files only one chunk), 2% deleted, 2% added. Prints
//! the planning time (TOC → plan; TOC parsing is not included) in milliseconds.

use chunkscope::format::digest::Digest;
use chunkscope::format::toc::{EntryType, Toc, TocEntry};
use chunkscope::model::LayerFiles;
use chunkscope::oci::Descriptor;
use chunkscope::plan::{plan_pull, LayerInput, PlanOptions};
use std::collections::BTreeMap;
use std::time::Instant;

const FILES: usize = 20_000;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

fn digest(tag: u64, n: u64) -> Digest {
    Digest::parse(&format!("sha256:{:016x}{:048x}", tag, n)).unwrap()
}

fn entry(kind: EntryType, name: String) -> TocEntry {
    TocEntry {
        kind,
        name: name.into(),
        mode: 0o644,
        ..TocEntry::default()
    }
}

/// A file's content: per chunk (digest id, uncompressed size, compressed size, zeros).
#[derive(Clone)]
struct File {
    name: String,
    digest: u64,
    chunks: Vec<(u64, u64, u64, bool)>,
}

fn make_files(rng: &mut Rng) -> Vec<File> {
    let mut next_id = 1u64;
    let mut id = || {
        next_id += 1;
        next_id
    };
    (0..FILES)
        .map(|i| {
            let n = match rng.range(0, 100) {
                0..=79 => 1,
                80..=94 => 2,
                _ => 3,
            };
            let chunks = (0..n)
                .map(|_| {
                    let zeros = n > 1 && rng.range(0, 20) == 0;
                    let size = rng.range(100, 60_000);
                    let csize = if zeros { 16 } else { size / 3 + 20 };
                    (id(), size, csize, zeros)
                })
                .collect();
            File {
                name: format!("usr/share/app/d{:03}/file-{i:05}", i / 100),
                digest: id(),
                chunks,
            }
        })
        .collect()
}

/// Lays the files out as a blob: a header frame before each payload, then the TOC.
fn layer(files: &[File], rng: &mut Rng, digest_seed: u64) -> (Descriptor, LayerFiles) {
    let mut entries = Vec::new();
    let mut off = 200u64;
    for (i, f) in files.iter().enumerate() {
        if i % 100 == 0 {
            entries.push(entry(
                EntryType::Dir,
                format!("usr/share/app/d{:03}/", i / 100),
            ));
        }
        if i % 500 == 0 {
            entries.push(entry(EntryType::Reg, format!("{}.empty", f.name)));
        }
        off += rng.range(60, 700); // tar header frame
        let size: u64 = f.chunks.iter().map(|c| c.1).sum();
        let multi = f.chunks.len() > 1;
        let start = off;
        let mut chunk_entries = Vec::new();
        let mut uoff = 0;
        for (k, &(cid, usize_, csize, zeros)) in f.chunks.iter().enumerate() {
            let mut e = if k == 0 {
                entry(EntryType::Reg, f.name.clone())
            } else {
                entry(EntryType::Chunk, f.name.clone())
            };
            e.offset = off;
            if multi {
                e.rare_mut().chunk_size = usize_;
                e.rare_mut().chunk_offset = uoff;
                e.rare_mut().chunk_digest = Some(digest(2, cid));
                if zeros {
                    e.rare_mut().chunk_type = "zeros".into();
                }
            }
            off += csize;
            uoff += usize_;
            chunk_entries.push(e);
        }
        chunk_entries[0].size = size;
        chunk_entries[0].digest = Some(digest(1, f.digest));
        chunk_entries[0].end_offset = off;
        debug_assert!(start < off);
        entries.extend(chunk_entries);
    }
    let toc_offset = off + 1100; // EOF frame + the TOC's skippable-frame header
    let toc = Toc {
        version: 1,
        entries,
        tar_split_digest: Some(digest(9, digest_seed)),
    };
    let files = LayerFiles::build(toc, toc_offset - 8);
    assert!(files.problems.is_empty(), "{:?}", files.problems);
    let toc_len = 40 * files.files.len() as u64;
    let ts_off = toc_offset + toc_len + 8;
    let ts_len = 30 * files.files.len() as u64;
    let ns = "io.github.containers.zstd-chunked.";
    let mut annotations = BTreeMap::new();
    annotations.insert(
        format!("{ns}manifest-checksum"),
        digest(7, digest_seed).to_string(),
    );
    annotations.insert(
        format!("{ns}manifest-position"),
        format!("{toc_offset}:{toc_len}:{}:1", toc_len * 5),
    );
    annotations.insert(
        format!("{ns}tarsplit-position"),
        format!("{ts_off}:{ts_len}:{}", ts_len * 10),
    );
    let desc = Descriptor {
        media_type: "application/vnd.oci.image.layer.v1.tar+zstd".into(),
        digest: digest(8, digest_seed).to_string(),
        size: ts_off + ts_len + 72,
        annotations,
        platform: None,
        urls: Vec::new(),
    };
    (desc, files)
}

fn time_ms(iters: usize, mut f: impl FnMut()) -> (f64, f64) {
    let mut t: Vec<f64> = (0..iters)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (t[0], t[t.len() / 2])
}

/// The two synthetic layers: (have descriptor, have files, want descriptor, want files).
pub fn synthesize() -> (Descriptor, LayerFiles, Descriptor, LayerFiles) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let have_files = make_files(&mut rng);
    // The wanted version: 5% changed (one chunk of a multi-chunk file), 2% deleted, 2% added.
    let mut want_files = Vec::new();
    let mut next = 10_000_000u64;
    for f in &have_files {
        match rng.range(0, 100) {
            0..=4 => {
                let mut g = f.clone();
                next += 1;
                g.digest = next;
                let k = rng.range(0, g.chunks.len() as u64) as usize;
                next += 1;
                g.chunks[k].0 = next;
                g.chunks[k].3 = false;
                want_files.push(g);
            }
            5..=6 => {}
            _ => want_files.push(f.clone()),
        }
    }
    let added = make_files(&mut Rng(42));
    for (i, mut f) in added.into_iter().take(FILES / 50).enumerate() {
        f.name = format!("usr/share/app/new/file-{i:05}");
        f.digest += 20_000_000;
        for c in &mut f.chunks {
            c.0 += 20_000_000;
        }
        want_files.push(f);
    }
    let (have_desc, have_layer) = layer(&have_files, &mut rng, 1);
    let (want_desc, want_layer) = layer(&want_files, &mut rng, 2);
    (have_desc, have_layer, want_desc, want_layer)
}

fn main() {
    let (have_desc, have_layer, want_desc, want_layer) = synthesize();
    let have = [LayerInput {
        descriptor: &have_desc,
        files: Some(&have_layer),
        tar_split_digest: true,
        error: None,
        verdict: None,
        estargz: None,
    }];
    let want = [LayerInput {
        descriptor: &want_desc,
        files: Some(&want_layer),
        tar_split_digest: true,
        error: None,
        verdict: None,
        estargz: None,
    }];

    let opts = PlanOptions::default();
    let p = plan_pull(&want, &have, &opts);
    let l = &p.layers[0];
    println!(
        "want: {} entries, have: {} entries; plan: {} files missing, {} local, {} chunks to fetch, {} local; {} ranges, {} bytes of {}; single-range K={} {} bytes",
        want_layer.files.len(),
        have_layer.files.len(),
        l.missing_files,
        l.local_files,
        l.missing_chunks,
        l.local_chunks,
        l.ranges,
        l.fetch_bytes,
        l.full_pull_bytes,
        l.single_range.budget,
        l.single_range.bytes
    );
    let cases = [
        ("delta (have 20k files)", &have[..], PlanOptions::default()),
        (
            "delta, hard links (fingerprints)",
            &have[..],
            PlanOptions {
                hard_links: true,
                ..PlanOptions::default()
            },
        ),
        ("cold (empty store)", &[][..], PlanOptions::default()),
    ];
    for (name, have, opts) in cases {
        let (min, median) = time_ms(15, || {
            std::hint::black_box(plan_pull(&want, have, &opts));
        });
        println!("plan_pull {name}: min {min:.2} ms, median {median:.2} ms");
    }
}
