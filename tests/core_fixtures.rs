//! The core against the real layers in tests/fixtures, through the public API only.
//!
//! What this proves, for EVERY layer of every fixture (6 layouts, 10 layers, current and legacy):
//! * the blob's footer (last 72 bytes, parsed by `format::footer::parse`) equals the
//!   `manifest-position` / `tarsplit-position` annotations as text, in both namespaces, and the
//!   footer invariants hold (tar-split = TOC end + 8, blob size = metadata end + footer frame);
//! * inspection passes every check, with no error;
//! * the TOC entry count equals an independent decode: the `zstd` CLI on the TOC byte range,
//!   counted with `serde_json::Value`;
//! * every regular file's extent `[offset, endOffset)` decompresses (with
//!   `format::zstd::decompress`) to exactly `size` bytes whose sha256 is the TOC digest, and the
//!   model's extent is that same range;
//! * every chunk's extent decompresses to its `chunkSize` bytes and its chunk digest, and zeros
//!   chunks decompress to zeros;
//! * what is read: one range for an annotated layer, exactly `TOC + 8 + tar-split` bytes (only
//!   the TOC without the tar-split); two reads (footer, then TOC) for a blob without annotations,
//!   with the legacy layers detected as `legacy-48`;
//! * tar sizes equal the fixtures README, and counts equal the independent checker's results in
//!   tests/fixtures/inspect/*.json;
//! * the CLI (`chunkscope inspect --json oci:...`) reports every layer with `reads` = 1 and all
//!   checks passing, and bad input gives a one-line error, a non-zero exit and no panic.

mod core_support;

use chunkscope::format::footer::{self, FooterVariant};
use chunkscope::format::zstd;
use chunkscope::inspect::report::{self, AnnotationNamespace, CheckName, CheckState, LayerFormat};
use chunkscope::inspect::{
    inspect_layer_blocking, InspectOptions, InspectedLayer, LayerInspection,
};
use chunkscope::source::inspect_image_blocking;
use chunkscope::source::layout::{BlobFile, OciLayout};
use core_support::*;
use serde_json::Value;
use std::collections::BTreeMap;

const WITH_TAR_SPLIT: InspectOptions = InspectOptions {
    tar_split: true,
    footer: false,
    files: false,
};

/// Inspects one fixture layer by reading its blob file, the way `source::inspect_image_blocking` does.
fn inspect(l: &FixtureLayer, opts: InspectOptions) -> InspectedLayer {
    inspect_layer_blocking(&l.desc, opts, |r| {
        chunkscope::source::layout::read_range(&l.blob_path, r)
    })
}

#[test]
fn there_are_ten_layers() {
    let layers = all_layers();
    assert_eq!(layers.len(), 10);
    assert_eq!(layers.iter().filter(|l| l.current).count(), 5);
}

#[test]
fn footer_fields_equal_the_annotations_in_both_namespaces() {
    for l in all_layers() {
        let name = l.name();
        let tail = &l.blob[l.blob.len() - 72..];
        let f = footer::parse(tail).unwrap_or_else(|e| panic!("{name}: footer: {e}"));
        let toc = l.toc_position();
        assert_eq!(f.toc, toc, "{name}: footer TOC vs manifest-position");
        assert_eq!(f.toc_type, 1, "{name}: manifest type");
        assert_eq!(
            l.annotation("manifest-position").unwrap(),
            format!(
                "{}:{}:{}:{}",
                f.toc.offset, f.toc.length, f.toc.uncompressed_length, f.toc_type
            ),
            "{name}: manifest-position text"
        );
        // The checksum annotation is the sha256 of exactly the footer's TOC range.
        assert_eq!(
            l.annotation("manifest-checksum").unwrap(),
            sha256_hex(l.bytes(f.toc)),
            "{name}: manifest-checksum"
        );
        let a = l.annotations();
        assert_eq!(a.toc, f.toc, "{name}: parsed annotations vs footer");
        if l.current {
            assert_eq!(f.variant, FooterVariant::Current, "{name}");
            assert_eq!(
                a.namespace,
                chunkscope::format::annotations::Namespace::Current
            );
            let ts = f.tar_split.expect("current footer has a tar-split");
            assert_eq!(Some(ts), l.tarsplit_position(), "{name}: tarsplit-position");
            assert_eq!(
                l.annotation("tarsplit-position").unwrap(),
                format!("{}:{}:{}", ts.offset, ts.length, ts.uncompressed_length)
            );
            assert_eq!(a.tar_split, Some(ts));
            assert_eq!(ts.offset, f.toc.offset + f.toc.length + 8, "{name}");
            assert_eq!(ts.offset + ts.length + 72, l.desc.size, "{name}");
            // Nothing of the legacy namespace on a current layer.
            assert!(!l
                .desc
                .annotations
                .keys()
                .any(|k| k.starts_with("io.containers.zstd-chunked.")));
        } else {
            assert_eq!(f.variant, FooterVariant::Legacy, "{name}");
            assert_eq!(
                a.namespace,
                chunkscope::format::annotations::Namespace::Legacy
            );
            assert_eq!(f.tar_split, None);
            assert_eq!(l.tarsplit_position(), None);
            assert_eq!(f.toc.offset + f.toc.length + 48, l.desc.size, "{name}");
            assert!(!l
                .desc
                .annotations
                .keys()
                .any(|k| k.starts_with("io.github.containers.zstd-chunked.")));
        }
        // The TOC (and tar-split) sit in skippable frames announcing their exact lengths.
        let h = &l.blob[(f.toc.offset - 8) as usize..f.toc.offset as usize];
        assert_eq!(h, skippable_header(f.toc.length as usize), "{name}");
    }
}

#[test]
fn every_layer_inspects_with_all_checks_passing() {
    for l in all_layers() {
        for opts in [
            WITH_TAR_SPLIT,
            InspectOptions {
                tar_split: true,
                footer: true,
                files: true,
            },
            InspectOptions::default(),
        ] {
            let name = format!("{} {opts:?}", l.name());
            let r = inspect(&l, opts).report;
            assert_all_checks_pass(&name, &r);
            assert_eq!(r.reads, 1, "{name}: annotated layers are read in one range");
            assert_eq!(r.digest, l.desc.digest);
            assert_eq!(r.size, l.desc.size);
            assert!(r.toc.as_ref().unwrap().digest_verified, "{name}");
            if l.current {
                assert_eq!(r.format, LayerFormat::ZstdChunked, "{name}");
                assert_eq!(r.annotations, AnnotationNamespace::Current, "{name}");
                assert!(r.partial_pull.eligible, "{name}: {:?}", r.partial_pull);
                if opts.tar_split {
                    for c in [
                        CheckName::TocDigest,
                        CheckName::TarsplitDigest,
                        CheckName::TocMatchesTarsplit,
                        CheckName::ChunkExtents,
                    ] {
                        assert!(r.checks.contains_key(&c), "{name}: {c:?} did not run");
                    }
                    assert!(r.tar_split.as_ref().unwrap().digest_verified, "{name}");
                }
            } else {
                assert_eq!(r.format, LayerFormat::ZstdChunkedLegacy, "{name}");
                assert_eq!(r.annotations, AnnotationNamespace::Legacy, "{name}");
                assert!(!r.partial_pull.eligible, "{name}");
                assert_eq!(r.tar_split, None);
            }
            if opts.footer {
                let f = r.footer.as_ref().expect("footer read");
                assert_eq!(
                    f.variant,
                    if l.current {
                        report::FooterVariant::Current72
                    } else {
                        report::FooterVariant::Legacy48
                    }
                );
                assert_eq!(
                    r.checks
                        .get(&CheckName::FooterMatchesAnnotations)
                        .map(|c| c.state),
                    Some(CheckState::Pass),
                    "{name}"
                );
            }
            if opts.files {
                let list = r.file_list.as_ref().expect("fileList");
                assert_eq!(
                    list.len(),
                    r.files + r.directories + r.symlinks + r.hardlinks + count_other(&l),
                    "{name}: one fileList entry per non-chunk TOC entry"
                );
            }
        }
    }
}

/// Non-chunk TOC entries other than reg/dir/symlink/hardlink (the FIFO of the tiny layers).
fn count_other(l: &FixtureLayer) -> usize {
    let toc: Value = serde_json::from_slice(&l.toc_json_via_cli()).unwrap();
    toc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            !matches!(
                e["type"].as_str().unwrap(),
                "reg" | "dir" | "symlink" | "hardlink" | "chunk"
            )
        })
        .count()
}

#[test]
fn toc_entry_counts_equal_an_independent_zstd_cli_decode() {
    for l in all_layers() {
        let name = l.name();
        let json = l.toc_json_via_cli();
        let pos = l.toc_position();
        assert_eq!(json.len() as u64, pos.uncompressed_length, "{name}");
        let v: Value = serde_json::from_slice(&json).expect("TOC JSON");
        let entries = v["entries"].as_array().expect("entries array");
        let insp = inspect(&l, WITH_TAR_SPLIT);
        assert_eq!(insp.report.entries, entries.len(), "{name}: report.entries");
        let toc = chunkscope::format::toc::parse(&json).expect("parsed TOC");
        assert_eq!(toc.entries.len(), entries.len(), "{name}: parsed TOC");
        // Entry by entry: same type and name in the same order.
        for (i, (a, b)) in toc.entries.iter().zip(entries).enumerate() {
            assert_eq!(a.kind.as_str(), b["type"].as_str().unwrap(), "{name} #{i}");
            assert_eq!(&*a.name, b["name"].as_str().unwrap(), "{name} #{i}");
        }
        // Non-chunk entries are what the model turns into files.
        let non_chunk = entries.iter().filter(|e| e["type"] != "chunk").count();
        assert_eq!(
            insp.files.as_ref().unwrap().files.len(),
            non_chunk,
            "{name}"
        );
        // The tar-split, decoded the same way, has one type-1 line per tar member.
        if let Some(ts) = l.tarsplit_via_cli() {
            assert_eq!(
                ts.len() as u64,
                l.tarsplit_position().unwrap().uncompressed_length
            );
            let members = ts
                .split(|&b| b == b'\n')
                .filter(|line| !line.is_empty())
                .filter(|line| serde_json::from_slice::<Value>(line).unwrap()["type"] == 1)
                .count();
            assert_eq!(members, non_chunk, "{name}: tar-split members");
            assert_eq!(
                v["tarSplitDigest"].as_str().unwrap(),
                sha256_hex(l.bytes(l.tarsplit_position().unwrap())),
                "{name}: tarSplitDigest covers the compressed tar-split"
            );
        }
    }
}

/// The reg entries of a TOC, from the independent decode: (name, size, digest, offset, endOffset).
fn regular_files(l: &FixtureLayer) -> Vec<(String, u64, Option<String>, u64, u64)> {
    let v: Value = serde_json::from_slice(&l.toc_json_via_cli()).unwrap();
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "reg")
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["size"].as_u64().unwrap_or(0),
                e["digest"].as_str().map(str::to_string),
                e["offset"].as_u64().unwrap_or(0),
                e["endOffset"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn every_regular_file_extent_decompresses_to_its_size_and_digest() {
    // pair-b's layer 1 is pair-a's (same digest, same bytes): checked once.
    for l in distinct_layers() {
        let name = l.name();
        let model = inspect(&l, InspectOptions::default()).files.unwrap();
        let by_name: BTreeMap<&str, &chunkscope::model::FileEntry> =
            model.files.iter().map(|f| (f.name(), f)).collect();
        let (mut checked, mut empty) = (0, 0);
        for (file, size, digest, offset, end) in regular_files(&l) {
            let f = by_name[file.as_str()];
            if size == 0 {
                assert_eq!((offset, end, &digest), (0, 0, &None), "{name} {file}");
                assert!(
                    f.chunks.is_empty(),
                    "{name} {file}: empty file has no chunks"
                );
                empty += 1;
                continue;
            }
            assert!(offset > 0 && end > offset, "{name} {file}: extent");
            assert_eq!(
                f.extent(),
                Some((offset, end)),
                "{name} {file}: model extent"
            );
            let data = zstd::decompress(&file, &l.blob[offset as usize..end as usize], size)
                .unwrap_or_else(|e| panic!("{name} {file}: {e}"));
            assert_eq!(data.len() as u64, size, "{name} {file}: size");
            assert_eq!(
                Some(sha256_hex(&data)),
                digest,
                "{name} {file}: sha256 of the content"
            );
            checked += 1;
        }
        let expect = checker_report(l.fixture, &l.desc.digest)["regular_files"]
            .as_u64()
            .unwrap() as usize;
        assert_eq!(
            checked + empty,
            expect,
            "{name}: every regular file checked"
        );
        // The fixtures README: one empty file in tiny, four per pair layer.
        assert_eq!(
            empty,
            if l.fixture.starts_with("tiny") { 1 } else { 4 },
            "{name}"
        );
    }
}

#[test]
fn every_chunk_extent_decompresses_to_its_chunk_digest() {
    for l in distinct_layers() {
        let name = l.name();
        let toc: Value = serde_json::from_slice(&l.toc_json_via_cli()).unwrap();
        let entries = toc["entries"].as_array().unwrap();
        let model = inspect(&l, InspectOptions::default()).files.unwrap();
        let (mut chunks, mut zeros) = (0, 0);
        // Walk the raw TOC independently: a reg entry with a payload, then its chunk entries.
        let mut i = 0;
        while i < entries.len() {
            let e = &entries[i];
            i += 1;
            if e["type"] != "reg" || e["offset"].as_u64().unwrap_or(0) == 0 {
                continue;
            }
            let file = e["name"].as_str().unwrap();
            let mut raw = vec![e];
            while i < entries.len() && entries[i]["type"] == "chunk" {
                assert_eq!(
                    entries[i]["name"], e["name"],
                    "{name}: chunk follows its file"
                );
                raw.push(&entries[i]);
                i += 1;
            }
            let f = model.files.iter().find(|f| f.name() == file).unwrap();
            assert_eq!(f.chunks.len(), raw.len(), "{name} {file}: chunk count");
            let size = e["size"].as_u64().unwrap();
            let mut total = 0;
            for (k, (c, m)) in raw.iter().zip(&f.chunks).enumerate() {
                let what = format!("{name} {file} chunk {k}");
                let start = c["offset"].as_u64().unwrap();
                let end = raw
                    .get(k + 1)
                    .map(|n| n["offset"].as_u64().unwrap())
                    .unwrap_or_else(|| e["endOffset"].as_u64().unwrap());
                let (len, digest) = if raw.len() == 1 {
                    (size, e["digest"].as_str().unwrap())
                } else {
                    (
                        c["chunkSize"].as_u64().unwrap(),
                        c["chunkDigest"].as_str().unwrap(),
                    )
                };
                let is_zeros = c["chunkType"] == "zeros";
                assert_eq!(
                    (
                        m.offset,
                        m.compressed_length,
                        m.uncompressed_length,
                        m.zeros
                    ),
                    (start, end - start, len, is_zeros),
                    "{what}: model chunk"
                );
                assert_eq!(m.uncompressed_offset, total, "{what}: uncompressed offset");
                assert_eq!(
                    m.digest.as_ref().map(|d| d.to_string()).as_deref(),
                    Some(digest),
                    "{what}: model digest"
                );
                let data = zstd::decompress(&what, &l.blob[start as usize..end as usize], len)
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_eq!(data.len() as u64, len, "{what}: chunkSize");
                assert_eq!(sha256_hex(&data), digest, "{what}: chunk digest");
                if is_zeros {
                    assert!(data.iter().all(|&b| b == 0), "{what}: zeros chunk");
                    zeros += 1;
                }
                total += len;
                chunks += 1;
            }
            assert_eq!(total, size, "{name} {file}: chunks cover the file");
        }
        let c = checker_report(l.fixture, &l.desc.digest);
        let types = &c["chunk_types"];
        assert_eq!(
            chunks as u64,
            types["data"].as_u64().unwrap() + types["zeros"].as_u64().unwrap(),
            "{name}: every chunk checked"
        );
        assert_eq!(zeros, c["zeros_chunks"].as_u64().unwrap(), "{name}: zeros");
    }
}

#[test]
fn counts_equal_the_independent_checker() {
    for l in all_layers() {
        let name = l.name();
        let c = checker_report(l.fixture, &l.desc.digest);
        let r = inspect(&l, WITH_TAR_SPLIT).report;
        let types = &c["toc_types"];
        let n = |v: &Value| v.as_u64().unwrap_or(0) as usize;
        assert_eq!(r.entries, n(&c["toc_entries"]), "{name}: entries");
        assert_eq!(r.files, n(&c["regular_files"]), "{name}: files");
        assert_eq!(r.files, n(&types["reg"]), "{name}: files");
        assert_eq!(r.directories, n(&types["dir"]), "{name}: dirs");
        assert_eq!(r.symlinks, n(&types["symlink"]), "{name}: symlinks");
        assert_eq!(r.hardlinks, n(&types["hardlink"]), "{name}: hardlinks");
        assert_eq!(
            r.chunks,
            n(&c["chunk_types"]["data"]) + n(&c["chunk_types"]["zeros"]),
            "{name}: chunks"
        );
        assert_eq!(r.zero_chunks, n(&c["zeros_chunks"]), "{name}: zero chunks");
        assert_eq!(
            r.multi_chunk_files,
            n(&c["multi_chunk_files"]),
            "{name}: multi-chunk files"
        );
        assert_eq!(r.size, n(&c["size"]) as u64, "{name}: size");
    }
}

#[test]
fn tar_sizes_equal_the_fixtures_readme() {
    // "uncompressed tar bytes" in tests/fixtures/README.md.
    let readme: &[(&str, usize, u64)] = &[
        ("tiny-current", 1, 661_504),
        ("pair-a", 1, 3_139_584),
        ("pair-a", 2, 5_855_744),
        ("pair-b", 1, 3_139_584),
        ("pair-b", 2, 5_892_096),
    ];
    for l in all_layers().into_iter().filter(|l| l.current) {
        let name = l.name();
        let want = readme
            .iter()
            .find(|(f, i, _)| *f == l.fixture && *i == l.index)
            .map(|r| r.2)
            .unwrap_or_else(|| panic!("{name} not in the table"));
        let r = inspect(&l, WITH_TAR_SPLIT).report;
        let ts = r.tar_split.as_ref().expect("tar-split");
        assert_eq!(ts.tar_size, Some(want), "{name}: tar size");
        assert_eq!(
            Some(want),
            checker_report(l.fixture, &l.desc.digest)["uncompressed_tar_bytes"].as_u64(),
            "{name}: the checker agrees"
        );
    }
}

#[test]
fn annotated_current_layer_reads_exactly_one_planned_range() {
    for l in all_layers().into_iter().filter(|l| l.current) {
        let name = l.name();
        let toc = l.toc_position();
        let ts = l.tarsplit_position().unwrap();
        for (opts, want) in [
            (WITH_TAR_SPLIT, toc.length + 8 + ts.length),
            (InspectOptions::default(), toc.length),
        ] {
            // Step by step through the sans-IO state machine.
            let mut insp = LayerInspection::new(&l.desc, opts);
            let r = insp.next_read().expect("one read");
            assert_eq!((r.offset, r.length), (toc.offset, want), "{name} {opts:?}");
            assert_eq!(
                r.header_value(),
                format!("bytes={}-{}", toc.offset, toc.offset + want - 1)
            );
            insp.feed(&slice(&l.blob, r)).expect("feed");
            assert_eq!(insp.next_read(), None, "{name}: nothing more to read");
            let rep = insp.finish().report;
            assert_eq!((rep.reads, rep.bytes_read), (1, want), "{name} {opts:?}");
            assert_eq!(rep.read_log.len(), 1);
            assert_eq!(
                (rep.read_log[0].offset, rep.read_log[0].length),
                (toc.offset, want)
            );
            assert_all_checks_pass(&name, &rep);
        }
    }
}

#[test]
fn legacy_layers_read_in_one_range_with_annotations() {
    for l in all_layers().into_iter().filter(|l| !l.current) {
        let name = l.name();
        let toc = l.toc_position();
        let r = inspect(&l, WITH_TAR_SPLIT).report;
        assert_all_checks_pass(&name, &r);
        assert_eq!((r.reads, r.bytes_read), (1, toc.length), "{name}");
        assert_eq!(r.read_log[0].offset, toc.offset);
        assert_eq!(r.format, LayerFormat::ZstdChunkedLegacy);
        let reason = r.partial_pull.reason.unwrap();
        assert!(reason.contains("legacy"), "{name}: {reason}");
    }
}

#[test]
fn blobs_without_annotations_read_footer_then_toc() {
    for l in all_layers() {
        let name = l.name();
        let mut src = BlobFile::open(&l.blob_path, LAYER_ZSTD, BTreeMap::new()).unwrap();
        assert_eq!(
            src.descriptor.digest, l.desc.digest,
            "{name}: digest on open"
        );
        let img = inspect_image_blocking(&mut src, "file:", None, WITH_TAR_SPLIT).unwrap();
        assert_eq!(img.report.layers.len(), 1);
        let r = &img.report.layers[0];
        assert_all_checks_pass(&name, r);
        assert_eq!(r.annotations, AnnotationNamespace::None);
        assert_eq!(r.reads, 2, "{name}: footer, then metadata");
        let log: Vec<(u64, u64)> = r.read_log.iter().map(|x| (x.offset, x.length)).collect();
        let toc = l.toc_position();
        let meta = match l.tarsplit_position() {
            Some(ts) => toc.length + 8 + ts.length,
            None => toc.length,
        };
        assert_eq!(
            log,
            [(l.desc.size - 72, 72), (toc.offset, meta)],
            "{name}: read log"
        );
        assert_eq!(r.bytes_read, 72 + meta);
        let f = r.footer.as_ref().expect("footer");
        assert_eq!(
            f.variant,
            if l.current {
                report::FooterVariant::Current72
            } else {
                report::FooterVariant::Legacy48
            },
            "{name}"
        );
        assert_eq!(
            r.format,
            if l.current {
                LayerFormat::ZstdChunked
            } else {
                LayerFormat::ZstdChunkedLegacy
            }
        );
        // No annotation digest: the TOC is parsed but not authenticated.
        assert!(!r.toc.as_ref().unwrap().digest_verified, "{name}");
        assert!(!r.partial_pull.eligible, "{name}");
        let c = checker_report(l.fixture, &l.desc.digest);
        assert_eq!(
            r.entries as u64,
            c["toc_entries"].as_u64().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn inspect_image_over_oci_layouts() {
    for &(fixture, tag, current) in FIXTURES {
        let mut src = OciLayout::open(&fixtures_dir().join(fixture), Some(tag)).unwrap();
        let img = inspect_image_blocking(&mut src, fixture, None, WITH_TAR_SPLIT).unwrap();
        let n = if fixture.starts_with("tiny") { 1 } else { 2 };
        assert_eq!(img.report.layers.len(), n, "{fixture}");
        assert_eq!(img.report.reads, n, "{fixture}: one read per layer");
        assert_eq!(img.report.diff_ids.len(), n, "{fixture}: config read");
        for (i, r) in img.report.layers.iter().enumerate() {
            assert_all_checks_pass(&format!("{fixture} L{}", i + 1), r);
            assert_eq!(r.format == LayerFormat::ZstdChunked, current);
        }
        let sum: u64 = img.report.layers.iter().map(|l| l.bytes_read).sum();
        assert_eq!(img.report.bytes_read, sum);
    }
}

/// The command line, run as a separate process.
#[cfg(feature = "cli")]
mod cli {
    use super::*;
    use std::process::{Command, Output, Stdio};

    fn run(args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_chunkscope"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("the chunkscope binary runs")
    }

    #[test]
    fn json_reports_every_layer_of_every_fixture() {
        for &(fixture, tag, current) in FIXTURES {
            let src = format!("oci:tests/fixtures/{fixture}:{tag}");
            let out = run(&["inspect", "--json", &src]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "{src}: exit {:?}: {stderr}",
                out.status
            );
            assert!(!stderr.contains("panicked"), "{src}: {stderr}");
            let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
            let layers = v["layers"].as_array().unwrap();
            let want: Vec<String> = descriptors(fixture, tag)
                .into_iter()
                .map(|d| d.digest)
                .collect();
            let got: Vec<&str> = layers
                .iter()
                .map(|l| l["digest"].as_str().unwrap())
                .collect();
            assert_eq!(got, want, "{src}: every layer, in order");
            for l in layers {
                let d = l["digest"].as_str().unwrap();
                assert_eq!(l["reads"], 1, "{src} {d}: reads");
                assert_eq!(l["error"], Value::Null, "{src} {d}");
                let checks = l["checks"].as_object().unwrap();
                assert!(!checks.is_empty());
                for (k, c) in checks {
                    assert_eq!(c["state"], "pass", "{src} {d}: check {k}");
                }
                assert_eq!(
                    l["format"],
                    if current {
                        "zstd:chunked"
                    } else {
                        "zstd:chunked-legacy"
                    }
                );
                assert_eq!(l["toc"]["digestVerified"], true);
                let c = checker_report(fixture, d);
                assert_eq!(l["entries"], c["toc_entries"], "{src} {d}");
                assert_eq!(l["files"], c["regular_files"], "{src} {d}");
                assert_eq!(l["zeroChunks"], c["zeros_chunks"], "{src} {d}");
                if current {
                    assert_eq!(l["tarSplit"]["tarSize"], c["uncompressed_tar_bytes"]);
                    assert_eq!(l["tarSplit"]["digestVerified"], true);
                } else {
                    assert_eq!(l["tarSplit"], Value::Null);
                }
            }
        }
    }

    #[test]
    fn files_flag_lists_files_with_chunks() {
        let out = run(&[
            "inspect",
            "--json",
            "--files",
            "oci:tests/fixtures/tiny-current:tiny",
        ]);
        assert!(out.status.success());
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let list = v["layers"][0]["fileList"].as_array().unwrap();
        assert_eq!(list.len(), 66, "one entry per tar member");
        let big = list
            .iter()
            .find(|f| f["path"] == "/data/big.bin")
            .expect("data/big.bin");
        assert_eq!(big["size"], 512 * 1024);
        let chunks = big["chunks"].as_array().unwrap();
        assert_eq!(chunks.len(), 9);
        assert_eq!(chunks.iter().filter(|c| c["zeros"] == true).count(), 2);
        for key in [
            "offset",
            "compressedLength",
            "uncompressedOffset",
            "uncompressedLength",
            "digest",
            "zeros",
        ] {
            assert!(chunks[0].get(key).is_some(), "chunk key {key}");
        }
    }

    #[test]
    fn human_output_works_for_every_fixture() {
        for &(fixture, tag, _) in FIXTURES {
            let src = format!("oci:tests/fixtures/{fixture}:{tag}");
            let out = run(&["inspect", &src]);
            assert!(out.status.success(), "{src}");
            let s = String::from_utf8_lossy(&out.stdout);
            assert!(s.contains("checks"), "{src}: {s}");
            assert!(!s.contains("FAIL"), "{src}: {s}");
        }
    }

    /// `file:BLOB` without annotations: footer, then metadata (2 reads), for both formats.
    #[test]
    fn file_blob_without_annotations_reads_footer_then_toc() {
        for (fixture, variant, format) in [
            ("tiny-current", "current-72", "zstd:chunked"),
            ("tiny-legacy", "legacy-48", "zstd:chunked-legacy"),
        ] {
            let l = layer(fixture, 1);
            let src = format!("file:{}", l.blob_path.display());
            let out = run(&["inspect", "--json", &src]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{src}: {stderr}");
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            let r = &v["layers"][0];
            assert_eq!(r["reads"], 2, "{fixture}");
            assert_eq!(r["footer"]["variant"], variant);
            assert_eq!(r["format"], format);
            assert_eq!(r["readLog"][0]["offset"], l.desc.size - 72);
            assert_eq!(r["readLog"][0]["length"], 72);
            assert_eq!(r["readLog"][1]["offset"], l.toc_position().offset);
            for (k, c) in r["checks"].as_object().unwrap() {
                assert_eq!(c["state"], "pass", "{fixture}: {k}");
            }
        }
    }

    /// Every way the source can be wrong: a one-line message on stderr, exit code 2, no panic.
    #[test]
    fn bad_input_gives_a_one_line_error() {
        let garbage = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("garbage.blob");
        std::fs::write(&garbage, b"definitely not a layer").unwrap();
        let garbage_src = format!("file:{}", garbage.display());
        let cases: Vec<Vec<String>> = vec![
            vec!["inspect".into(), "oci:/nonexistent/dir".into()],
            vec![
                "inspect".into(),
                "oci:tests/fixtures/pair-a:no-such-tag".into(),
            ],
            vec!["inspect".into(), "--json".into(), "nonsense:source".into()],
            vec!["inspect".into(), "file:/nonexistent/blob".into()],
            // A directory that is not an OCI layout.
            vec!["inspect".into(), "oci:tests/fixtures".into()],
        ];
        for args in &cases {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = run(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{args:?} succeeded");
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            assert_eq!(
                stderr.trim_end().lines().count(),
                1,
                "{args:?}: one line: {stderr:?}"
            );
            assert!(stderr.starts_with("chunkscope: "), "{args:?}: {stderr:?}");
            if args.contains(&"--json") {
                // With --json, the typed error on stdout as well.
                let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(v["error"]["kind"], "usage", "{args:?}: {v}");
                assert_eq!(
                    format!("chunkscope: {}", v["error"]["message"].as_str().unwrap()),
                    stderr.trim_end()
                );
            } else {
                assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
            }
        }
        // A blob the user says is zstd:chunked, with annotations pointing outside it: the layer
        // report carries the error and the exit code is non-zero, without a panic.
        let ann = r#"{"io.github.containers.zstd-chunked.manifest-checksum":"sha256:2a29e3f3e5e30b7e26cabf30cd1798ef3a0fa5dae6e651f19adbcf88c68a50d5","io.github.containers.zstd-chunked.manifest-position":"323422:3468:13946:1"}"#;
        let out = run(&["inspect", "--json", &garbage_src, "--annotations", ann]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(!stderr.contains("panicked"), "{stderr}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let err = &v["layers"][0]["error"];
        assert_eq!(err["kind"], "format", "{err}");
        assert!(
            err["message"].as_str().unwrap().contains("does not fit"),
            "{err}"
        );
        // Garbage without annotations is an ordinary (non-chunked) layer, not an error.
        let out = run(&["inspect", "--json", &garbage_src]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["layers"][0]["format"], "zstd");
        assert_eq!(v["layers"][0]["reads"], 1);
        std::fs::remove_file(&garbage).ok();
    }

    /// Usage errors: non-zero exit, the error on the first line of stderr, no panic.
    #[test]
    fn usage_errors_do_not_panic() {
        for args in [
            &["inspect", "--bogus"][..],
            &[][..],
            &["frobnicate"][..],
            &["inspect"][..],
            &["inspect", "--annotations", "{not json", "oci:x"][..],
        ] {
            let out = run(args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            assert!(
                stderr.lines().next().unwrap().starts_with("chunkscope: "),
                "{args:?}: {stderr}"
            );
        }
    }

    /// `chunkscope inspect … | head -1` and `chunkscope plan … | head -1` must not panic when the
    /// reader goes away, in JSON or text output.
    #[test]
    fn closed_stdout_does_not_panic() {
        for args in [
            &["inspect", "--json", "oci:tests/fixtures/pair-a:pair-a"][..],
            &["inspect", "oci:tests/fixtures/pair-a:pair-a"][..],
            &[
                "plan",
                "oci:tests/fixtures/pair-b:pair-b",
                "--have",
                "oci:tests/fixtures/pair-a:pair-a",
            ][..],
            &["plan", "--json", "oci:tests/fixtures/pair-b:pair-b"][..],
        ] {
            let mut child = Command::new(env!("CARGO_BIN_EXE_chunkscope"))
                .args(args)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            drop(child.stdout.take()); // the reader goes away before the report is printed
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        }
    }
}

/// An OCI layout whose `index.json` lists one image per platform and no tags (two-platforms):
/// without a tag the index itself is the image index, and the platform chooses the manifest, as
/// for a registry image index; a tag that is not there is a `not-found` error.
#[test]
fn a_layout_index_of_platform_images_is_chosen_from_by_platform() {
    use chunkscope::oci::Platform;
    let dir = fixtures_dir().join("two-platforms");
    let mut digests = Vec::new();
    for p in ["linux/amd64", "linux/arm64"] {
        let mut src = OciLayout::open(&dir, None).unwrap();
        let platform = Platform::parse(p).unwrap();
        let img = inspect_image_blocking(
            &mut src,
            "two-platforms",
            Some(&platform),
            InspectOptions::default(),
        )
        .unwrap();
        assert_eq!(img.report.layers.len(), 1, "{p}");
        digests.push(img.report.layers[0].digest.clone());
    }
    assert_ne!(digests[0], digests[1], "each platform has its own layer");
    let mut src = OciLayout::open(&dir, Some("nope")).unwrap();
    let Err(e) = inspect_image_blocking(&mut src, "two-platforms", None, InspectOptions::default())
    else {
        panic!("a tag that is not in index.json must not be found")
    };
    assert_eq!(e.kind(), chunkscope::ErrorKind::NotFound, "{e}");
}
