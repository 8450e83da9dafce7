//! The partial-pull planner against real podman 5.4.2 pulls of the fixtures
//! (`tests/fixtures/pulls/`: request logs and their summary, see tests/fixtures/README.md).
//!
//! The fixtures' layouts are inspected like the CLI does for `plan` (TOC only), the planner's
//! requests are compared range by range with what podman asked the registry for.

use chunkscope::plan::{
    plan_pull, LayerInput, LayerPlan, PlanOptions, PullPlan, RequestKind, ReuseReason,
};
use chunkscope::source::InspectedImage;
use serde_json::Value;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[path = "core_support/mod.rs"]
mod core_support;

fn image(name: &str) -> InspectedImage {
    core_support::image_toc_only(name)
}

fn plan_with(want: &InspectedImage, have: &[&InspectedImage], opts: PlanOptions) -> PullPlan {
    core_support::plan_images(want, have, &opts)
}

fn plan(want: &InspectedImage, have: &[&InspectedImage]) -> PullPlan {
    plan_with(want, have, PlanOptions::default())
}

fn summary_phase(phase: &str) -> Value {
    let s: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("pulls/summary.json")).unwrap(),
    )
    .unwrap();
    s["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["phase"] == phase)
        .unwrap_or_else(|| panic!("no phase {phase}"))
        .clone()
}

/// The ranged requests podman made for layer `layer` (1-based), in order, each as a list of
/// `(first, last)` inclusive byte positions, with `range_bytes` and `bytes_sent`.
struct Logged {
    ranges: Vec<(u64, u64)>,
    range_bytes: u64,
    bytes_sent: u64,
    status: u64,
}

fn logged(phase: &str, layer: u64) -> Vec<Logged> {
    let text = std::fs::read_to_string(fixtures().join(format!("pulls/{phase}.jsonl"))).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["layer"].as_u64() == Some(layer))
        .map(|r| Logged {
            ranges: r["ranges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
                .collect(),
            range_bytes: r["range_bytes"].as_u64().unwrap(),
            bytes_sent: r["bytes_sent"].as_u64().unwrap(),
            status: r["status"].as_u64().unwrap(),
        })
        .collect()
}

fn planned_ranges(l: &LayerPlan) -> Vec<Vec<(u64, u64)>> {
    l.request_list
        .iter()
        .map(|r| {
            r.ranges
                .iter()
                .map(|s| (s.offset, s.offset + s.length - 1))
                .collect()
        })
        .collect()
}

/// Every layer of the phase: same requests, same ranges (exactly), same bytes, same range
/// counts as podman's log and summary.
fn assert_matches_podman(phase: &str, p: &PullPlan) {
    let s = summary_phase(phase);
    let layers = s["layers"].as_array().unwrap();
    assert_eq!(p.layers.len(), layers.len(), "{phase}: layer count");
    for (l, sl) in p.layers.iter().zip(layers) {
        let n = sl["layer"].as_u64().unwrap();
        let ctx = format!("{phase} layer {n}");
        assert_eq!(l.digest, sl["digest"].as_str().unwrap(), "{ctx}");
        assert_eq!(l.full_pull_bytes, sl["size"].as_u64().unwrap(), "{ctx}");
        assert_eq!(l.requests as u64, sl["requests"].as_u64().unwrap(), "{ctx}");
        let log = logged(phase, n);
        assert_eq!(l.requests, log.len(), "{ctx}: requests in the log");
        if sl["partial"].as_bool().unwrap() {
            let rpr: Vec<usize> = sl["ranges_per_request"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(l.ranges_per_request, rpr, "{ctx}: ranges per request");
            assert_eq!(
                l.fetch_bytes,
                sl["range_bytes_requested"].as_u64().unwrap(),
                "{ctx}: bytes requested"
            );
            let want: Vec<Vec<(u64, u64)>> = log.iter().map(|r| r.ranges.clone()).collect();
            assert_eq!(planned_ranges(l), want, "{ctx}: exact ranges");
            assert_eq!(l.metadata_requests, 1, "{ctx}");
            assert_eq!(
                l.metadata_bytes, log[0].range_bytes,
                "{ctx}: metadata bytes"
            );
            assert_eq!(l.request_list[0].kind, RequestKind::Metadata, "{ctx}");
            for (r, g) in l.request_list.iter().zip(&log) {
                assert_eq!(r.bytes, g.range_bytes, "{ctx}: bytes of one request");
            }
            assert_eq!(l.ranges, *rpr.last().unwrap(), "{ctx}: data ranges");
            assert!(l.fallback.is_none() && !l.reused, "{ctx}");
        } else if sl["requests"].as_u64() == Some(0) {
            assert!(l.reused, "{ctx}: reused");
            assert_eq!(l.fetch_bytes, 0, "{ctx}");
            assert!(l.request_list.is_empty(), "{ctx}");
        } else {
            // A plain GET of the whole blob.
            assert!(l.fallback.is_some(), "{ctx}: fallback");
            assert_eq!(l.ranges_per_request, [0], "{ctx}");
            assert_eq!(l.fetch_bytes, sl["bytes_sent"].as_u64().unwrap(), "{ctx}");
            assert!(log.iter().all(|r| r.ranges.is_empty()), "{ctx}");
        }
    }
}

/// (1) Cold pulls: per layer one 2-range metadata request (TOC, tar-split) and one data request
/// whose single range runs from the first payload frame to the end of the last.
#[test]
fn cold_pulls_match_podman() {
    let a = image("pair-a");
    let b = image("pair-b");
    let tiny = image("tiny-current");
    for (phase, img) in [
        ("i-cold-pair-a", &a),
        ("iii-cold-pair-b", &b),
        ("vi-cold-tiny-current", &tiny),
    ] {
        let p = plan(img, &[]);
        assert_matches_podman(phase, &p);
        for l in &p.layers {
            assert_eq!(l.ranges_per_request, [2, 1], "{phase}");
            assert_eq!(l.local_files, 0);
            assert_eq!(l.local_chunks, 0);
        }
        let s = summary_phase(phase);
        let requested: u64 = s["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["range_bytes_requested"].as_u64().unwrap())
            .sum();
        assert_eq!(p.totals.fetch_bytes, requested, "{phase} total");
        assert_eq!(p.totals.requests, 2 * p.layers.len());
    }
    // Spot values from the README: tiny's metadata is 3,468 + 3,418 bytes, its data 322,929.
    let p = plan(&tiny, &[]);
    assert_eq!(p.layers[0].metadata_bytes, 6_886);
    assert_eq!(p.layers[0].request_list[1].bytes, 322_929);
    // Layer 2 of a cold pair-a pull holds the same libshared.so.0 as layer 1: not reused,
    // the layers of the image being pulled are not searched.
    let p = plan(&a, &[]);
    assert_eq!(p.layers[1].local_files, 0);
}

/// (2) pair-b with pair-a in the store (phase ii): layer 1 is the same blob, layer 2 fetches the
/// 78 ranges podman fetched, byte for byte: 101,327 metadata + 348,558 data = 449,885.
///
/// The 348,558 data bytes are 103 more than the TOC-only merge of the missing chunks with 1 KiB
/// bridging (348,455, `ideal_from_tocs`): podman ends the last chunk of a multi-chunk file at the
/// next file's offset instead of at its `endOffset` (behaviour 3 in the fixtures README; see
/// `chunkscope::plan::reference::classify`). The planner models that, so the match is exact.
#[test]
fn delta_pull_matches_podman() {
    let a = image("pair-a");
    let b = image("pair-b");
    let p = plan(&b, &[&a]);
    assert_matches_podman("ii-pair-b-after-pair-a", &p);

    let l1 = &p.layers[0];
    assert!(l1.reused);
    assert_eq!(l1.reused_by, Some(ReuseReason::BlobDigest));
    assert_eq!((l1.requests, l1.fetch_bytes), (0, 0));

    let l2 = &p.layers[1];
    assert_eq!(l2.ranges, 78);
    assert_eq!(l2.ranges_per_request, [2, 78]);
    assert_eq!(l2.metadata_bytes, 101_327);
    assert_eq!(l2.fetch_bytes, 449_885);
    assert_eq!(l2.request_list[1].bytes, 348_558);
    // The one changed chunk of app-engine is exactly one of the ranges.
    assert!(planned_ranges(l2)[1].contains(&(2_299_147, 2_452_159)));
    // The lookup counts equal the TOC-only computation in summary.json.
    let ideal = &summary_phase("ii-pair-b-after-pair-a")["ideal_from_tocs"][1];
    assert_eq!(
        l2.local_files as u64,
        ideal["files_local"].as_u64().unwrap()
    );
    assert_eq!(
        l2.missing_files as u64,
        ideal["files_to_fetch"].as_u64().unwrap()
    );
    assert_eq!(
        l2.local_chunks as u64,
        ideal["chunks_local"].as_u64().unwrap()
    );
    assert_eq!(
        l2.zero_chunks as u64,
        ideal["chunks_zeros"].as_u64().unwrap()
    );
    assert_eq!(
        l2.missing_chunks as u64,
        ideal["chunks_to_fetch"].as_u64().unwrap()
    );
    assert_eq!(
        l2.missing_bytes,
        ideal["chunk_bytes_exact"].as_u64().unwrap()
    );
    assert_eq!(
        l2.request_list[1].bytes - 103,
        ideal["chunk_bytes_merged_1k"].as_u64().unwrap()
    );
    assert_eq!(l2.bridged_bytes, 348_558 - 339_622);
    assert_eq!(p.totals.requests, 2);
    assert_eq!(p.totals.fetch_bytes, 449_885);
    assert_eq!(p.totals.saved_bytes, 5_417_050 - 449_885);

    // Hard links: the unchanged files have the same uid/gid/mode/xattrs, so the fingerprint
    // finds them too and nothing changes.
    let hl = plan_with(
        &b,
        &[&a],
        PlanOptions {
            hard_links: true,
            ..PlanOptions::default()
        },
    );
    assert_eq!(hl.layers[1].request_list, l2.request_list);
    assert_eq!(hl.layers[1].local_files, l2.local_files);

    // Hard links match on the fingerprint (digest, uid, gid, mode, xattrs): with a store whose
    // copies of the files have another mode, no file is found whole, but the chunks of
    // multi-chunk files still are (by chunkDigest). Without hard links the mode does not matter.
    let mut modes_changed = a.layers[1].files.clone().unwrap();
    for f in &mut modes_changed.files {
        f.entry.mode ^= 0o100;
    }
    let want = LayerInput::image(&b);
    let have_same = LayerInput::new(&a.manifest.layers[1], &a.report.layers[1], &a.layers[1]);
    let have_other_mode = LayerInput {
        files: Some(&modes_changed),
        ..have_same
    };
    let digest_only = plan_pull(&want[1..], &[have_other_mode], &PlanOptions::default());
    let same = plan_pull(&want[1..], &[have_same], &PlanOptions::default());
    assert_eq!(
        digest_only.layers[0].local_files,
        same.layers[0].local_files
    );
    assert!(same.layers[0].local_files > 800);
    let hl_opts = PlanOptions {
        hard_links: true,
        ..PlanOptions::default()
    };
    let hl_other = plan_pull(&want[1..], &[have_other_mode], &hl_opts);
    assert_eq!(hl_other.layers[0].local_files, 0);
    assert!(hl_other.layers[0].local_chunks > l2.local_chunks);
    assert!(
        hl_other.layers[0].fetch_bytes > 3 * same.layers[0].fetch_bytes,
        "{}",
        hl_other.layers[0].fetch_bytes
    );
    let hl_same = plan_pull(&want[1..], &[have_same], &hl_opts);
    assert_eq!(hl_same.layers[0].local_files, same.layers[0].local_files);

    // Without chunk reuse (the newest containers/storage on a filesystem without reflinks)
    // app-engine's 17 unchanged data chunks are fetched as well.
    let nc = plan_with(
        &b,
        &[&a],
        PlanOptions {
            chunk_reuse: false,
            ..PlanOptions::default()
        },
    );
    let l = &nc.layers[1];
    assert_eq!(l.local_chunks, 0);
    assert_eq!(l.missing_chunks, 134 + 17);
    assert!(
        l.fetch_bytes > l2.fetch_bytes + 500_000,
        "{}",
        l.fetch_bytes
    );

    // Reuse by TOC digest: the same TOC under another blob digest (a recompressed or re-pushed
    // blob with identical zstd:chunked metadata) is found by c/image's TOC lookup.
    let mut desc = a.manifest.layers[1].clone();
    desc.digest = format!("sha256:{}", "ab".repeat(32));
    let same_toc = LayerInput {
        descriptor: &desc,
        ..LayerInput::new(&a.manifest.layers[1], &a.report.layers[1], &a.layers[1])
    };
    let p = plan_pull(&[same_toc], &LayerInput::image(&a), &PlanOptions::default());
    assert_eq!(p.layers[0].reused_by, Some(ReuseReason::TocDigest));
    assert_eq!(p.layers[0].requests, 0);

    // The store holding only pair-b's own layers: everything is reused.
    let p = plan(&b, &[&b]);
    assert_eq!(p.totals.reused_layers, 2);
    assert_eq!(p.totals.requests, 0);
}

/// (3) Phase iv: the same pull behind a front that answers multi-range requests with 200 and the
/// whole blob. Both requests of layer 2 have 2+ ranges: twice the blob, what podman received.
#[test]
fn multi_range_ignored_costs_the_blob_per_request() {
    let a = image("pair-a");
    let b = image("pair-b");
    let p = plan(&b, &[&a]);
    let phase = "iv-pair-b-after-pair-a-max-ranges-1";
    assert_matches_podman(phase, &p);
    let l2 = &p.layers[1];
    assert_eq!(l2.ignores_multi_range_bytes, 2 * 3_598_126);
    let log = logged(phase, 2);
    assert!(log.iter().all(|r| r.status == 200));
    assert_eq!(
        l2.ignores_multi_range_bytes,
        log.iter().map(|r| r.bytes_sent).sum::<u64>()
    );
    assert_eq!(p.layers[0].ignores_multi_range_bytes, 0);
    assert_eq!(p.totals.ignores_multi_range_bytes, 7_196_252);
    // A cold pull there: the metadata request (2 ranges) costs the blob, the data request
    // (1 range) is answered 206.
    let cold = plan(&b, &[]);
    for l in &cold.layers {
        assert_eq!(
            l.ignores_multi_range_bytes,
            l.full_pull_bytes + l.request_list[1].bytes
        );
    }
    // chunkscope's single-range plan never sends two ranges in one request.
    assert!(l2.single_range.bytes < l2.ignores_multi_range_bytes / 10);
}

/// (4) Legacy layers: podman 5.4.2 does not recognise the old annotation namespace and pulls
/// each layer with one plain GET (phase v).
#[test]
fn legacy_layers_fall_back_with_a_reason() {
    let a = image("pair-a-legacy");
    let p = plan(&a, &[]);
    assert_matches_podman("v-cold-pair-a-legacy", &p);
    for l in &p.layers {
        let why = l.fallback.as_deref().unwrap();
        assert!(why.contains("legacy"), "{why}");
        assert_eq!((l.requests, l.metadata_requests), (1, 0));
        assert_eq!(l.fetch_bytes, l.full_pull_bytes);
        assert_eq!(l.saved_bytes, 0);
        assert_eq!(l.request_list[0].kind, RequestKind::Full);
        assert_eq!(l.single_range.requests, 1);
        assert_eq!(l.single_range.bytes, l.full_pull_bytes);
    }
    assert_eq!(p.totals.fallback_layers, 2);
    let tiny = image("tiny-legacy");
    let p = plan(&tiny, &[]);
    assert!(p.layers[0].fallback.as_deref().unwrap().contains("legacy"));
    assert_eq!(p.layers[0].fetch_bytes, 327_169);

    // Legacy have images leave no TOC in the store (they were pulled whole): no file reuse for
    // a current pair-b, but pair-b-legacy's layer 1 is the same blob as pair-a-legacy's.
    let b = image("pair-b");
    let p = plan(&b, &[&a]);
    assert_eq!(p.totals.reused_layers, 0);
    assert_eq!(p.totals.local_files, 0);
    let bl = image("pair-b-legacy");
    let p = plan(&bl, &[&a]);
    assert_eq!(p.layers[0].reused_by, Some(ReuseReason::BlobDigest));
    assert!(p.layers[1].fallback.is_some());
}

/// A layer with current annotations whose TOC has no tarSplitDigest (containers/storage 1.44 to
/// 1.53): the metadata is read, then the layer is pulled whole.
#[test]
fn no_tar_split_digest_reads_metadata_then_pulls_whole() {
    let b = image("pair-b");
    let mut inputs = LayerInput::image(&b);
    inputs[1].tar_split_digest = false;
    let p = plan_pull(&inputs, &[], &PlanOptions::default());
    let l = &p.layers[1];
    assert!(l.fallback.as_deref().unwrap().contains("tarSplitDigest"));
    assert_eq!(l.ranges_per_request, [2, 0]);
    assert_eq!(l.fetch_bytes, 101_327 + 3_598_126);
    // Without annotations at all: one GET, no metadata.
    let mut desc = b.manifest.layers[1].clone();
    desc.annotations.clear();
    let input = LayerInput {
        descriptor: &desc,
        ..inputs[1]
    };
    let p = plan_pull(&[input], &[], &PlanOptions::default());
    assert!(p.layers[0]
        .fallback
        .as_deref()
        .unwrap()
        .contains("no zstd:chunked TOC annotation"));
    assert_eq!(p.layers[0].ranges_per_request, [0]);
    // A TOC over 150 MiB: no metadata request either.
    let mut desc = b.manifest.layers[1].clone();
    let key = "io.github.containers.zstd-chunked.manifest-position";
    let pos = desc.annotations[key].clone();
    let f: Vec<&str> = pos.split(':').collect();
    desc.annotations.insert(
        key.into(),
        format!("{}:{}:{}:1", f[0], f[1], 150u64 * 1024 * 1024 + 1),
    );
    let input = LayerInput {
        descriptor: &desc,
        ..inputs[1]
    };
    let p = plan_pull(&[input], &[], &PlanOptions::default());
    assert!(p.layers[0].fallback.as_deref().unwrap().contains("150 MiB"));
    assert_eq!(p.layers[0].requests, 1);
}

/// (5) The single-range plan: the curve is monotone, budget 1 is one range from the first to
/// the last missing byte, a budget of N or more fetches exactly the missing ranges.
#[test]
fn single_range_curve() {
    let a = image("pair-a");
    let b = image("pair-b");
    let p = plan(&b, &[&a]);
    let l2 = &p.layers[1];
    let sr = &l2.single_range;
    // The metadata as one range: TOC, the tar-split's 8-byte frame header, tar-split.
    assert_eq!(sr.metadata_bytes, 101_327 + 8);
    let n = sr.data_ranges;
    assert!(n >= 78, "{n}");
    let c = &sr.curve;
    assert!(c.len() <= 64);
    assert_eq!(c.first().unwrap().requests, 1);
    assert_eq!(c.last().unwrap().requests, n);
    for w in c.windows(2) {
        assert!(w[0].requests < w[1].requests);
        assert!(w[0].bytes >= w[1].bytes, "{:?}", w);
    }

    let at = |k: usize| {
        let p = plan_with(
            &b,
            &[&a],
            PlanOptions {
                budget: Some(k),
                ..PlanOptions::default()
            },
        );
        p.layers[1].single_range.clone()
    };
    // Budget 1: one range from the first missing chunk to the end of the last.
    let one = at(1);
    assert_eq!((one.budget, one.requests, one.ranges.len()), (1, 2, 1));
    let data = &l2.request_list[1].ranges;
    let first = data.first().unwrap().offset;
    // The reference's last range may run on past the last chunk (behaviour 3); the exact
    // missing extents end at the last chunk's end.
    let last_exact = one.ranges[0].offset + one.ranges[0].length;
    assert_eq!(one.ranges[0].offset, first);
    assert!(last_exact <= data.last().unwrap().offset + data.last().unwrap().length);
    assert_eq!(one.bytes, sr.metadata_bytes + (last_exact - first));
    assert_eq!(c[0].bytes, last_exact - first);
    // Budget ≥ N: exactly the missing chunk bytes.
    for k in [n, n + 1, 10_000] {
        let s = at(k);
        assert_eq!(s.requests, 1 + n);
        assert_eq!(s.bytes, sr.metadata_bytes + l2.missing_bytes);
        assert_eq!(
            s.ranges.iter().map(|r| r.length).sum::<u64>(),
            l2.missing_bytes
        );
    }
    // Every budget in between: bytes are the curve's, ranges are disjoint and ascending.
    let mut prev = u64::MAX;
    for k in 1..=n {
        let s = at(k);
        assert_eq!(s.ranges.len(), k);
        let bytes: u64 = s.ranges.iter().map(|r| r.length).sum();
        assert_eq!(s.bytes, sr.metadata_bytes + bytes);
        assert!(bytes <= prev);
        prev = bytes;
        for w in s.ranges.windows(2) {
            assert!(w[0].offset + w[0].length < w[1].offset);
        }
        if let Some(pt) = c.iter().find(|pt| pt.requests == k) {
            assert_eq!(pt.bytes, bytes);
        }
    }
    // With 78 requests the single-range plan fetches no more than the reference's 78 ranges.
    assert!(at(78).bytes - sr.metadata_bytes <= l2.request_list[1].bytes);
    // The automatic budget is one of the curve's points and no worse than budget 1 in bytes.
    assert!(sr.budget >= 1 && sr.budget <= n);
    assert!(sr.bytes <= one.bytes);

    // JSON field names.
    let v = serde_json::to_value(&p).unwrap();
    let l = &v["layers"][1];
    for k in [
        "digest",
        "reused",
        "reusedBy",
        "metadataBytes",
        "metadataRequests",
        "missingFiles",
        "missingChunks",
        "ranges",
        "requests",
        "fetchBytes",
        "fullPullBytes",
        "singleRange",
        "ignoresMultiRangeBytes",
        "fallback",
    ] {
        assert!(l.get(k).is_some(), "missing {k}");
    }
    for k in ["budget", "requests", "bytes", "curve"] {
        assert!(l["singleRange"].get(k).is_some(), "missing singleRange.{k}");
    }
    assert!(v["totals"]["fetchBytes"].is_u64());
    assert!(l["fallback"].is_null());
}

/// The blob requests podman made in an eStargz phase (`tests/fixtures/pulls-estargz/`), each as
/// its list of `(first, last)` ranges (empty for a GET without `Range`), with `range_bytes`.
fn logged_estargz(phase: &str, blob: &str) -> Vec<(Vec<(u64, u64)>, u64)> {
    let text =
        std::fs::read_to_string(fixtures().join(format!("pulls-estargz/{phase}.requests.jsonl")))
            .unwrap();
    let rows: Vec<_> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["path"].as_str().unwrap().ends_with(blob))
        .map(|r| {
            (
                r["ranges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
                    .collect::<Vec<_>>(),
                r["range_bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(!rows.is_empty(), "{phase}: no request for {blob}");
    rows
}

/// The planner's requests for one layer in the same shape as [`logged_estargz`].
fn planned(l: &LayerPlan) -> Vec<(Vec<(u64, u64)>, u64)> {
    l.request_list
        .iter()
        .map(|r| {
            (
                r.ranges
                    .iter()
                    .map(|s| (s.offset, s.offset + s.length - 1))
                    .collect(),
                if r.kind == RequestKind::Full {
                    0
                } else {
                    r.bytes
                },
            )
        })
        .collect()
}

fn insecure() -> PlanOptions {
    PlanOptions {
        insecure_allow_unpredictable_image_contents: true,
        ..PlanOptions::default()
    }
}

/// eStargz, default options (podman 5.4.2, `e1f`): one ordinary GET, no metadata read.
/// stargz-snapshotter's zstd:chunked (`z1f`) is taken for eStargz and pulled whole the same way.
#[test]
fn estargz_default_is_a_full_pull() {
    for (name, phase) in [
        ("estargz-small", "e1f"),
        ("stargz-zstdchunked-small", "z1f"),
    ] {
        let img = image(name);
        let p = plan(&img, &[]);
        let l = &p.layers[0];
        let v = l.verdict.as_ref().unwrap();
        assert_eq!(
            serde_json::to_value(v.outcome).unwrap(),
            "full-pull",
            "{name}"
        );
        assert_eq!(serde_json::to_value(v.code).unwrap(), "estargz-refused");
        assert_eq!(v.error.as_deref(), Some("Failed to retrieve partial blob: estargz layers don't support partial pulls with guaranteed consistency with non-partial pulls"));
        let log = logged_estargz(phase, &img.manifest.layers[0].digest);
        assert_eq!(log, [(vec![], 0)], "{name}");
        assert_eq!(planned(l), log, "{name}");
        assert_eq!(l.fetch_bytes, img.manifest.layers[0].size);
    }
}

/// eStargz with `insecure_allow_unpredictable_image_contents` into an empty store (`e2f`):
/// footer (51 B), TOC (`[tocOffset, size − 51)`, 11,559 B), then one range from the first
/// payload (the landmark's is skipped) to the TOC.
#[test]
fn estargz_insecure_cold_matches_podman() {
    let img = image("estargz-small");
    let p = plan_with(&img, &[], insecure());
    let l = &p.layers[0];
    assert_eq!(l.fallback, None);
    let v = serde_json::to_value(l.verdict.as_ref()).unwrap();
    assert_eq!(v["outcome"], "partial");
    assert_eq!(v["code"], "eligible");
    assert_eq!(
        v["source"],
        "containers/storage v1.57.2 pkg/chunked/compression_linux.go readEstargzChunkedManifest"
    );
    let log = logged_estargz("e2f", &img.manifest.layers[0].digest);
    assert_eq!(
        log,
        [
            (vec![(2_367_566, 2_367_616)], 51),
            (vec![(2_356_007, 2_367_565)], 11_559),
            (vec![(272, 2_356_006)], 2_355_735),
        ]
    );
    assert_eq!(planned(l), log);
    assert_eq!(l.ranges_per_request, [1, 1, 1]);
    assert_eq!(l.metadata_requests, 2);
    assert_eq!(l.metadata_bytes, 51 + 11_559);
    assert_eq!(l.fetch_bytes, 51 + 11_559 + 2_355_735);
    // The same setup pull before phase e3f.
    assert_eq!(
        logged_estargz("e3f.setup", &img.manifest.layers[0].digest),
        log
    );
}

/// eStargz delta with the insecure option (`e3f`): estargz-pair-b over estargz-small (pulled
/// partially, so its TOC is in the store): footer + TOC, then 1 request of 9 ranges, 570,679 B
/// (the 16 changed chunks make 569,439 B; the rest is gaps ≤ 1 KiB bridged).
#[test]
fn estargz_insecure_delta_matches_podman() {
    let small = image("estargz-small");
    let b = image("estargz-pair-b");
    let p = plan_with(&b, &[&small], insecure());
    let l = &p.layers[0];
    assert_eq!(l.fallback, None);
    let log = logged_estargz("e3f", &b.manifest.layers[0].digest);
    assert_eq!(log.len(), 3);
    assert_eq!(log[2].0.len(), 9);
    assert_eq!(log[2].1, 570_679);
    assert_eq!(planned(l), log);
    assert_eq!(l.missing_chunks, 16);
    assert_eq!(l.missing_bytes, 569_439);
    assert_eq!(l.fetch_bytes, 51 + 11_800 + 570_679);
    // Without the option the store holds no eStargz TOC and pair-b is pulled whole.
    let d = plan(&b, &[&small]);
    assert_eq!(d.layers[0].ranges_per_request, [0]);
}

/// stargz-snapshotter's zstd:chunked with the insecure option (`z2f`): the eStargz reader takes
/// the last 51 bytes as a gzip footer, fails to parse the TOC offset, and the pull fails with
/// no fallback after that one request.
#[test]
fn stargz_zstdchunked_insecure_fails_like_podman() {
    let img = image("stargz-zstdchunked-small");
    let p = plan_with(&img, &[], insecure());
    let l = &p.layers[0];
    let v = l.verdict.as_ref().unwrap();
    assert_eq!(serde_json::to_value(v.outcome).unwrap(), "fails");
    assert_eq!(
        serde_json::to_value(v.code).unwrap(),
        "estargz-footer-unparsable"
    );
    let keylines =
        std::fs::read_to_string(fixtures().join("pulls-estargz/z2f.keylines.txt")).unwrap();
    let printed = keylines
        .lines()
        .find_map(|l| l.strip_prefix("Error: "))
        .expect("podman's error line");
    assert_eq!(v.error.as_deref(), Some(printed));
    let log = logged_estargz("z2f", &img.manifest.layers[0].digest);
    assert_eq!(log, [(vec![(2_322_784, 2_322_834)], 51)]);
    assert_eq!(planned(l), log);
    assert_eq!(p.totals.failing_layers, 1);
}
