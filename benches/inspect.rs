//! How fast, and in how much memory, a big layer's TOC is authenticated, decompressed, parsed
//! and turned into files with chunk extents.
//!
//! Synthesises a TOC of N entries shaped like a real one (dirs, files of 1–3 chunks, symlinks),
//! compresses it with ruzstd, and runs the full `LayerInspection` on it (digest check, bounded
//! decompression, case-insensitive parse, extent building). Prints wall time (median of 5) and the
//! peak heap measured by a counting allocator. `cargo bench --bench inspect`.

use chunkscope::format::digest::Digest;
use chunkscope::inspect::{inspect_layer_blocking, ByteRange, InspectOptions};
use chunkscope::oci::Descriptor;
use std::time::Instant;

#[path = "support/counting.rs"]
mod counting;

#[global_allocator]
static A: counting::Counting = counting::Counting;

fn synth_toc(n: usize) -> (Vec<u8>, u64) {
    let mut s = String::from(r#"{"version":1,"entries":["#);
    let mut off = 200u64;
    let mut first = true;
    let mut push = |s: &mut String, e: String| {
        if !first {
            s.push(',');
        }
        first = false;
        s.push_str(&e);
    };
    let digest = "sha256:6757aca7ed7f6b1f73fdbaf3bcf9974ecd59d2c4cfd740f5b1b7240f84bcbbb7";
    let mut i = 0;
    while i < n {
        let dir = format!("usr/share/pkg{:05}/", i / 50);
        if i % 50 == 0 {
            push(
                &mut s,
                format!(
                    r#"{{"type":"dir","name":"{dir}","mode":493,"modtime":"2023-11-14T22:13:20Z"}}"#
                ),
            );
            i += 1;
            continue;
        }
        if i % 97 == 0 {
            push(
                &mut s,
                format!(
                    r#"{{"type":"symlink","name":"{dir}link{i}","linkName":"file{}","mode":511}}"#,
                    i - 1
                ),
            );
            i += 1;
            continue;
        }
        let chunks = 1 + (i % 7 == 0) as usize + (i % 29 == 0) as usize;
        let size = 3000 * chunks as u64;
        let name = format!("{dir}file{i}.txt");
        if chunks == 1 {
            push(
                &mut s,
                format!(
                    r#"{{"type":"reg","name":"{name}","mode":420,"size":{size},"modtime":"2023-11-14T22:13:20Z","digest":"{digest}","offset":{off},"endOffset":{}}}"#,
                    off + 1200
                ),
            );
            off += 1300;
        } else {
            push(
                &mut s,
                format!(
                    r#"{{"type":"reg","name":"{name}","mode":420,"size":{size},"modtime":"2023-11-14T22:13:20Z","digest":"{digest}","offset":{off},"endOffset":{},"chunkSize":3000,"chunkDigest":"{digest}"}}"#,
                    off + 1200 * chunks as u64
                ),
            );
            for c in 1..chunks {
                push(
                    &mut s,
                    format!(
                        r#"{{"type":"chunk","name":"{name}","offset":{},"chunkOffset":{},"chunkSize":3000,"chunkDigest":"{digest}"}}"#,
                        off + 1200 * c as u64,
                        3000 * c
                    ),
                );
            }
            off += 1200 * chunks as u64 + 100;
        }
        i += chunks;
    }
    s.push_str("]}");
    (s.into_bytes(), off + 100)
}

fn main() {
    for n in [20_000usize, 120_000] {
        let (json, payload_end) = synth_toc(n);
        let compressed = ruzstd::encoding::compress_to_vec(
            json.as_slice(),
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        let toc_offset = payload_end + 8;
        let desc = Descriptor {
            media_type: "application/vnd.oci.image.layer.v1.tar+zstd".into(),
            digest: Digest::sha256(b"bench").to_string(),
            size: toc_offset + compressed.len() as u64 + 48,
            annotations: [
                (
                    "io.github.containers.zstd-chunked.manifest-checksum".to_string(),
                    Digest::sha256(&compressed).to_string(),
                ),
                (
                    "io.github.containers.zstd-chunked.manifest-position".to_string(),
                    format!("{toc_offset}:{}:{}:1", compressed.len(), json.len()),
                ),
            ]
            .into_iter()
            .collect(),
            platform: None,
            urls: Vec::new(),
        };
        let mut times = Vec::new();
        let mut peak = 0;
        let mut entries = 0;
        for _ in 0..5 {
            let base = counting::start();
            let t = Instant::now();
            let layer = inspect_layer_blocking(&desc, InspectOptions::default(), |r: ByteRange| {
                assert_eq!(r.offset, toc_offset);
                Ok(compressed.clone())
            });
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            peak = counting::peak_since(base);
            assert!(layer.report.error.is_none(), "{:?}", layer.report.error);
            entries = layer.report.entries;
            drop(layer);
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "inspect: {entries} TOC entries, TOC {} bytes compressed / {} uncompressed: median {:.1} ms (min {:.1}), peak heap {:.1} MiB ({:.1}x the uncompressed TOC)",
            compressed.len(),
            json.len(),
            times[2],
            times[0],
            peak as f64 / (1 << 20) as f64,
            peak as f64 / json.len() as f64
        );
    }
}
