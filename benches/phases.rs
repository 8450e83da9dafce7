//! The phases of a big layer's inspection, each alternative side by side in one run: decoding
//! the TOC (ruzstd into a growing buffer, ruzstd into a buffer sized once, libzstd), parsing it,
//! building the file model, and decoding + checking the tar-split line by line (ruzstd,
//! libzstd; on one thread, and with the decoding on a second thread). Wall time is the median of RUNS; "peak" is the most heap the phase held at once
//! (a counting allocator), inputs excluded.
//!
//!   cargo bench --bench phases -- [OCI_LAYOUT_DIR] [RUNS]
//!
//! (default `target/bench-layers/big154k`, made by `scripts/bench-big.sh`; 5 runs). It fails,
//! rather than skip, when the layout is missing.

use chunkscope::format::tarsplit;
use chunkscope::format::toc;
use chunkscope::format::zstd::{self, Backend, Frames};
use chunkscope::model::LayerFiles;
use std::io::Read;
use std::time::Instant;

#[path = "support/counting.rs"]
mod counting;

#[global_allocator]
static A: counting::Counting = counting::Counting;

/// (blob bytes, TOC (offset, length, uncompressed), tar-split (offset, length, uncompressed)).
type Sections = (Vec<u8>, (u64, u64, u64), (u64, u64, u64));

fn sections(dir: &str) -> Sections {
    let read = |p: &str| -> serde_json::Value {
        let path = format!("{dir}/{p}");
        serde_json::from_slice(
            &std::fs::read(&path)
                .unwrap_or_else(|e| panic!("{path}: {e} (run scripts/bench-big.sh)")),
        )
        .expect("json")
    };
    let blob = |d: &str| format!("blobs/{}", d.replacen(':', "/", 1));
    let index = read("index.json");
    let manifest = read(&blob(
        index["manifests"][0]["digest"].as_str().expect("digest"),
    ));
    let l = &manifest["layers"][0];
    let pos = |k: &str| -> (u64, u64, u64) {
        let v: Vec<u64> = l["annotations"][k]
            .as_str()
            .expect("annotation")
            .split(':')
            .take(3)
            .map(|x| x.parse().expect("number"))
            .collect();
        (v[0], v[1], v[2])
    };
    let data = std::fs::read(format!(
        "{dir}/{}",
        blob(l["digest"].as_str().expect("digest"))
    ))
    .expect("blob");
    (
        data,
        pos("io.github.containers.zstd-chunked.manifest-position"),
        pos("io.github.containers.zstd-chunked.tarsplit-position"),
    )
}

/// Runs `f` `runs` times: (median seconds, peak heap bytes above the start).
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, usize) {
    time_after(runs, || (), |()| f())
}

/// Like [`time`], with an untimed `setup` whose result `f` consumes (its heap is not counted).
fn time_after<S, T>(
    runs: usize,
    mut setup: impl FnMut() -> S,
    mut f: impl FnMut(S) -> T,
) -> (f64, usize) {
    let mut times = Vec::new();
    let mut peak = 0;
    for _ in 0..runs {
        let input = setup();
        let base = counting::start();
        let t = Instant::now();
        let out = f(input);
        times.push(t.elapsed().as_secs_f64());
        peak = peak.max(counting::peak_since(base));
        drop(out);
    }
    times.sort_by(f64::total_cmp);
    (times[runs / 2], peak)
}

fn row(name: &str, (secs, peak): (f64, usize)) {
    println!(
        "  {name:<58} {:>7.3} s  peak heap {:>6.1} MB",
        secs,
        peak as f64 / 1e6
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let dir = args
        .first()
        .map(String::as_str)
        .unwrap_or("target/bench-layers/big154k");
    let runs: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let (blob, (t_off, t_len, t_raw), (s_off, s_len, s_raw)) = sections(dir);
    let toc_bytes = &blob[t_off as usize..(t_off + t_len) as usize];
    let ts_bytes = &blob[s_off as usize..(s_off + s_len) as usize];
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{dir}: TOC {t_len} B / {t_raw} B JSON, tar-split {s_len} B / {s_raw} B; median of {runs}, load {}",
        load.split(' ').take(3).collect::<Vec<_>>().join(" ")
    );
    let limit = 1 << 30;

    println!("TOC decode:");
    row(
        "ruzstd, buffer grown as output arrives (before)",
        time(runs, || {
            let mut out = Vec::new();
            Frames::with_backend(Backend::Ruzstd, "TOC", toc_bytes, t_raw)
                .read_to_end(&mut out)
                .expect("decode");
            out
        }),
    );
    row(
        "ruzstd, buffer sized once from the declared length",
        time(runs, || {
            zstd::decompress_exact_with(Backend::Ruzstd, "TOC", toc_bytes, t_raw, limit)
                .expect("decode")
        }),
    );
    row(
        "ruzstd's one-shot decode_all_to_vec, sized once (not used)",
        time(runs, || {
            let mut out = Vec::with_capacity(t_raw as usize);
            ruzstd::decoding::FrameDecoder::new()
                .decode_all_to_vec(toc_bytes, &mut out)
                .expect("decode");
            out
        }),
    );
    #[cfg(feature = "libzstd")]
    row(
        "libzstd (zstd crate), buffer sized once",
        time(runs, || {
            zstd::decompress_exact_with(Backend::Libzstd, "TOC", toc_bytes, t_raw, limit)
                .expect("decode")
        }),
    );

    let json = zstd::decompress_exact("TOC", toc_bytes, t_raw, limit).expect("decode");
    println!("TOC parse and file model:");
    row(
        "toc::parse (serde_json into TocEntry)",
        time(runs, || toc::parse(&json).expect("parse")),
    );
    row(
        "LayerFiles::build (from a parsed TOC; its heap not counted)",
        time_after(
            runs,
            || toc::parse(&json).expect("parse"),
            |t| LayerFiles::build(t, t_off - 8),
        ),
    );
    row(
        "parse + build (the TOC-only work after decoding)",
        time(runs, || {
            LayerFiles::build(toc::parse(&json).expect("parse"), t_off - 8)
        }),
    );

    let parsed = toc::parse(&json).expect("parse");
    drop(json);
    println!("tar-split decode + line-by-line check against the TOC:");
    #[cfg(not(target_arch = "wasm32"))]
    row(
        "check_threaded: best decoder on a second thread, check here",
        time(runs, || {
            tarsplit::check_threaded(&parsed, ts_bytes, s_raw, limit)
                .expect("tar-split")
                .1
                .ok()
        }),
    );
    #[cfg_attr(not(feature = "libzstd"), allow(unused_mut))]
    let mut backends = vec![("ruzstd", Backend::Ruzstd)];
    #[cfg(feature = "libzstd")]
    backends.push(("libzstd", Backend::Libzstd));
    for (name, b) in backends {
        row(
            &format!("{name}: one thread, for_each_line_exact + tarsplit::Stream"),
            time(runs, || {
                let mut s = tarsplit::Stream::new(&parsed);
                zstd::for_each_line_exact_with(b, "tar-split", ts_bytes, s_raw, limit, |l| {
                    s.line(l)
                })
                .expect("tar-split");
                s.finish().1.ok()
            }),
        );
        row(
            &format!("{name}: decode only (lines counted)"),
            time(runs, || {
                let mut n = 0usize;
                zstd::for_each_line_exact_with(b, "tar-split", ts_bytes, s_raw, limit, |_| {
                    n += 1;
                    Ok(())
                })
                .expect("tar-split");
                n
            }),
        );
    }
}
