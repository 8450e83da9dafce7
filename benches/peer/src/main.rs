//! chunkscope and the `zstd-chunked` crate (containers/zstd-chunked-rs 0.2.0, libzstd) side by
//! side on the same zstd:chunked blob, each in a fresh child process of this binary so that
//! each peak RSS is its own:
//!
//!   cargo run --release --manifest-path benches/peer/Cargo.toml -- OCI_LAYOUT_DIR [RUNS]
//!
//! Both read the whole blob into memory first (as `Stream::new_from_frames` needs it) and then
//! do the same work: decompress the TOC and the tar-split, parse both, and relate every
//! tar-split file record to its TOC entry. chunkscope does more on top (TOC digest, tar-split
//! digest, every header compared field by field with its TOC entry, chunk extents, report);
//! the peer does not check digests. Prints wall time (median of RUNS), CPU time (user +
//! system, median) and peak RSS (VmHWM) of each.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// The first layer descriptor of the layout's first image: (blob path, annotations, size, digest).
fn layer(dir: &str) -> (String, BTreeMap<String, String>, u64, String) {
    let read = |p: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(format!("{dir}/{p}")).expect("read")).expect("json")
    };
    let blob = |d: &str| format!("blobs/{}", d.replacen(':', "/", 1));
    let index = read("index.json");
    let m = &index["manifests"][0];
    assert_eq!(
        m["mediaType"], MANIFEST,
        "the layout's first entry must be an image manifest"
    );
    let manifest = read(&blob(m["digest"].as_str().expect("digest")));
    let l = &manifest["layers"][0];
    let ann: BTreeMap<String, String> =
        serde_json::from_value(l["annotations"].clone()).expect("annotations");
    let digest = l["digest"].as_str().expect("digest").to_string();
    (
        format!("{dir}/{}", blob(&digest)),
        ann,
        l["size"].as_u64().expect("size"),
        digest,
    )
}

fn hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU seconds (user + system) this process has used, from /proc/self/stat (clock ticks of
/// 1/100 s): on a loaded machine it says more about the work than wall time does.
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |i: usize| f.get(i)?.parse::<f64>().ok();
            Some((ticks(11)? + ticks(12)?) / 100.0)
        })
        .unwrap_or(0.0)
}

fn run_peer(dir: &str) -> String {
    let (path, ann, _, _) = layer(dir);
    let t = Instant::now();
    let blob = std::fs::read(&path).expect("blob");
    let refs = zstd_chunked::MetadataReferences::from_oci(|k| ann.get(k)).expect("zstd:chunked");
    let r =
        |m: &zstd_chunked::MetadataReference| &blob[m.range.start as usize..m.range.end as usize];
    let stream =
        zstd_chunked::Stream::new_from_frames(r(&refs.manifest), r(&refs.tarsplit)).expect("peer");
    let n = stream.references().count();
    format!(
        "{:.3} {} {:.2} {n} file references",
        t.elapsed().as_secs_f64(),
        hwm_kb(),
        cpu_secs()
    )
}

fn run_chunkscope(dir: &str, tar_split: bool) -> String {
    use chunkscope::inspect::{inspect_layer_blocking, ByteRange, InspectOptions};
    let (path, annotations, size, digest) = layer(dir);
    let desc = chunkscope::oci::Descriptor {
        media_type: "application/vnd.oci.image.layer.v1.tar+zstd".into(),
        digest,
        size,
        annotations: annotations.into_iter().collect(),
        platform: None,
        urls: Vec::new(),
    };
    let t = Instant::now();
    let blob = std::fs::read(&path).expect("blob");
    let opts = InspectOptions {
        tar_split,
        ..InspectOptions::default()
    };
    let layer = inspect_layer_blocking(&desc, opts, |r: ByteRange| {
        let (a, b) = (r.offset as usize, (r.offset + r.length) as usize);
        Ok(blob[a..b.min(blob.len())].to_vec())
    });
    assert!(layer.report.error.is_none(), "{:?}", layer.report.error);
    format!(
        "{:.3} {} {:.2} {} TOC entries",
        t.elapsed().as_secs_f64(),
        hwm_kb(),
        cpu_secs(),
        layer.report.entries
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--child") => {
            let (what, dir) = (args[2].as_str(), args[3].as_str());
            println!(
                "{}",
                match what {
                    "peer" => run_peer(dir),
                    "chunkscope" => run_chunkscope(dir, true),
                    "chunkscope-toc-only" => run_chunkscope(dir, false),
                    _ => panic!("unknown {what}"),
                }
            );
        }
        Some(dir) => {
            let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
            let me = std::env::current_exe().expect("exe");
            let (path, _, size, _) = layer(dir);
            println!("blob {path}: {size} bytes; median of {runs} runs, each in a fresh process");
            for what in ["peer", "chunkscope", "chunkscope-toc-only"] {
                let mut rows: Vec<(f64, u64, f64, String)> = (0..runs)
                    .map(|_| {
                        let out = Command::new(&me)
                            .args(["--child", what, dir])
                            .output()
                            .expect("child");
                        assert!(
                            out.status.success(),
                            "{what}: {}",
                            String::from_utf8_lossy(&out.stderr)
                        );
                        let s = String::from_utf8(out.stdout).expect("utf8");
                        let mut it = s.trim().splitn(4, ' ');
                        let t: f64 = it.next().unwrap().parse().unwrap();
                        let kb: u64 = it.next().unwrap().parse().unwrap();
                        let cpu: f64 = it.next().unwrap().parse().unwrap();
                        (t, kb, cpu, it.next().unwrap_or("").to_string())
                    })
                    .collect();
                rows.sort_by(|a, b| a.0.total_cmp(&b.0));
                let (t, kb, _, note) = &rows[runs / 2];
                let mut cpu: Vec<f64> = rows.iter().map(|r| r.2).collect();
                cpu.sort_by(f64::total_cmp);
                let name = match what {
                    "peer" => "zstd-chunked 0.2.0 Stream::new_from_frames (TOC + tar-split)",
                    "chunkscope" => "chunkscope inspect (TOC + tar-split + checks)",
                    _ => "chunkscope inspect --toc-only",
                };
                println!(
                    "{name}: median {t:.3} s (min {:.3}), CPU {:.2} s (median), peak RSS {:.0} MB ({note}; blob in memory included)",
                    rows[0].0,
                    cpu[runs / 2],
                    *kb as f64 / 1000.0
                );
            }
        }
        None => eprintln!("usage: chunkscope-peer-bench OCI_LAYOUT_DIR [RUNS]"),
    }
}
