//! Layer fidelity on the real fixtures: the TOC ↔ tar-split check as containers/storage 1.57.2
//! makes it (`ensureTOCMatchesTarSplit`), the tar/PAX corner cases of `corners-current`, the
//! reference puller's verdict for every fixture layer against what podman 5.4.2 did with it
//! (tests/fixtures/README.md: the pull tables and "What podman 5.4.2 did with them"), and the
//! pull hazards.

mod core_support;

use chunkscope::format::tarsplit::{self, DifferenceKind};
use chunkscope::format::toc;
use chunkscope::inspect::eligibility::{PullOutcome, VerdictCode};
use chunkscope::inspect::hazards::{HazardKind, HazardPull};
use chunkscope::inspect::{InspectOptions, InspectedLayer};
use chunkscope::plan::{plan_pull, LayerInput, PlanOptions};
use chunkscope::source::inspect_image_blocking;
use chunkscope::source::layout::OciLayout;
use core_support::*;
use std::process::Command;

const CORNERS_DIGEST: &str =
    "sha256:bc618df71d31d1ea951b274eb0a2fda7d6784223149231dbb8bcd2cb94392373";

/// podman 5.4.2's error for corners-current (tests/fixtures/README.md), with the digest in full.
fn podman_corners_error() -> String {
    format!(
        "partial pull of blob {CORNERS_DIGEST}: read zstd:chunked manifest: tar-split and TOC data is inconsistent: tar-split contains an entry for \"corners/names/latin1-caf\\xe9-\\xff\\xfe-ustar\" missing in TOC"
    )
}

const WITH_TAR_SPLIT: InspectOptions = InspectOptions {
    tar_split: true,
    footer: false,
    files: false,
};

/// Every fixture layout, with its tag: the six of the first round and the two corner-case ones.
fn layouts() -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<_> = FIXTURES.iter().map(|&(f, t, _)| (f, t)).collect();
    v.extend([
        ("corners-current", "corners"),
        ("corners-legacy", "corners"),
    ]);
    v
}

fn corners_layer(fixture: &'static str) -> FixtureLayer {
    let desc = descriptors(fixture, "corners").remove(0);
    let hex = desc.digest.strip_prefix("sha256:").unwrap();
    let blob_path = fixtures_dir().join(fixture).join("blobs/sha256").join(hex);
    let blob = std::fs::read(&blob_path).expect("fixture blob");
    FixtureLayer {
        fixture,
        tag: "corners",
        current: fixture == "corners-current",
        index: 1,
        desc,
        blob_path,
        blob,
    }
}

fn inspect_layer(l: &FixtureLayer, opts: InspectOptions) -> InspectedLayer {
    let (err, done) = drive(&l.desc, opts, &l.blob);
    assert!(err.is_none(), "{}: {err:?}", l.name());
    done
}

/// What podman 5.4.2 did with each fixture's layers, and by which rule.
fn podman_outcome(fixture: &str) -> (PullOutcome, VerdictCode) {
    match fixture {
        "tiny-current" | "pair-a" | "pair-b" => (PullOutcome::Partial, VerdictCode::Eligible),
        "tiny-legacy" | "pair-a-legacy" | "pair-b-legacy" | "corners-legacy" => {
            (PullOutcome::FullPull, VerdictCode::LegacyAnnotations)
        }
        "corners-current" => (PullOutcome::Fails, VerdictCode::TocTarSplitMismatch),
        other => panic!("no recorded podman outcome for {other}"),
    }
}

#[test]
fn verdict_of_every_fixture_layer_is_what_podman_did() {
    let mut seen = 0;
    for (fixture, tag) in layouts() {
        let mut src = OciLayout::open(&fixtures_dir().join(fixture), Some(tag)).unwrap();
        let img = inspect_image_blocking(&mut src, fixture, None, WITH_TAR_SPLIT).unwrap();
        let (outcome, code) = podman_outcome(fixture);
        for (i, l) in img.layers.iter().enumerate() {
            let v = &l.verdict;
            assert_eq!((v.outcome, v.code), (outcome, code), "{fixture} L{}", i + 1);
            // The report carries the same value.
            let pp = &img.report.layers[i].partial_pull;
            assert_eq!((pp.outcome, pp.code), (outcome, code));
            assert_eq!(pp.eligible, outcome == PullOutcome::Partial);
            assert_eq!(pp.error, v.error);
            assert!(serde_json::to_value(pp.source)
                .unwrap()
                .as_str()
                .unwrap()
                .starts_with("containers/storage v1.57.2 pkg/chunked/"));
            match outcome {
                PullOutcome::Partial => assert_eq!(pp.reason, None),
                PullOutcome::FullPull => assert_eq!(
                    v.error.as_deref(),
                    Some("Failed to retrieve partial blob: no TOC found and convert_images is not configured"),
                    "podman's log line (fixtures README, behaviour 8)"
                ),
                PullOutcome::Fails => {
                    assert_eq!(v.error.as_deref(), Some(podman_corners_error().as_str()))
                }
            }
            seen += 1;
        }
        // The planner says the same, per layer.
        let p = plan_pull(&LayerInput::image(&img), &[], &PlanOptions::default());
        for (pl, l) in p.layers.iter().zip(&img.layers) {
            assert_eq!(pl.verdict.as_ref(), Some(&l.verdict), "{fixture}");
            assert_eq!(pl.fallback.is_some(), outcome != PullOutcome::Partial);
        }
    }
    assert_eq!(
        seen, 12,
        "10 layers of the first round + 2 corner-case layers"
    );
}

#[test]
fn a_failing_layer_is_planned_as_a_failed_pull_not_a_full_pull() {
    let mut src = OciLayout::open(&fixtures_dir().join("corners-current"), None).unwrap();
    let img = inspect_image_blocking(&mut src, "corners", None, WITH_TAR_SPLIT).unwrap();
    let p = plan_pull(&LayerInput::image(&img), &[], &PlanOptions::default());
    let l = &p.layers[0];
    assert_eq!(
        l.fallback.as_deref(),
        Some(format!("the pull fails: {}", podman_corners_error()).as_str())
    );
    // podman made 1 request of 2 ranges (TOC + tar-split, 15,156 bytes), then stopped.
    assert_eq!(l.requests, 1);
    assert_eq!(l.ranges_per_request, [2]);
    assert_eq!(l.fetch_bytes, 15_156);
    assert!(l
        .request_list
        .iter()
        .all(|r| r.kind != chunkscope::plan::RequestKind::Full));
    assert_eq!((p.totals.failing_layers, p.totals.fallback_layers), (1, 1));

    // TOC-only: the rules that can be checked pass; the verdict says the tar-split is unknown.
    let mut src = OciLayout::open(&fixtures_dir().join("corners-current"), None).unwrap();
    let toc_only =
        inspect_image_blocking(&mut src, "corners", None, InspectOptions::default()).unwrap();
    let v = &toc_only.layers[0].verdict;
    assert_eq!(
        (v.outcome, v.code),
        (PullOutcome::Partial, VerdictCode::TarSplitNotChecked)
    );
}

#[test]
fn non_utf8_names_are_the_only_differences_once_each_in_containers_storage_terms() {
    let l = corners_layer("corners-current");
    let done = inspect_layer(&l, WITH_TAR_SPLIT);
    let d = &done.report.toc_tar_split_differences;
    let names: Vec<&str> = d.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        names,
        [
            r#""corners/names/latin1-caf\xe9-\xff\xfe-ustar""#,
            concat!(r#""corners/names/bad-\x80\x81-gnu-longname-\xff\xfe-"#, "gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg\""),
            concat!(r#""corners/names/bad-\xed\xa0\x80-pax-\xff\xfe-"#, "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh\""),
        ],
        "the ustar name, the GNU long name and the PAX path that are not UTF-8"
    );
    for x in d {
        assert_eq!(x.kind, DifferenceKind::MissingInToc);
        assert_eq!(
            x.message,
            format!("tar-split contains an entry for {} missing in TOC", x.path)
        );
        // The TOC's U+FFFD twin is named in the note, not reported as a second difference.
        assert!(x.note.as_deref().unwrap().contains("U+FFFD"), "{x:?}");
    }
    let c = &done.report.checks[&chunkscope::inspect::report::CheckName::TocMatchesTarsplit]
        .detail
        .as_deref()
        .unwrap_or_default();
    assert!(c.starts_with("3 differences: "), "{c}");
    // chunkscope's own record check passes: the records carry the raw names too (name_raw).
    assert_eq!(
        done.report.checks[&chunkscope::inspect::report::CheckName::TarsplitRecordsMatchHeaders]
            .state,
        chunkscope::inspect::report::CheckState::Pass
    );
}

/// The tar-split's headers, decoded by the `zstd` CLI and read as containers/storage reads them.
fn corner_headers() -> Vec<chunkscope::format::tar_header::Header> {
    let l = corners_layer("corners-current");
    let ts = tarsplit::parse(&l.tarsplit_via_cli().unwrap()).unwrap();
    ts.headers()
        .into_iter()
        .map(|h| h.expect("every corners header decodes"))
        .collect()
}

fn header<'a>(
    hs: &'a [chunkscope::format::tar_header::Header],
    name: &str,
) -> &'a chunkscope::format::tar_header::Header {
    hs.iter()
        .find(|h| h.name == name.as_bytes())
        .unwrap_or_else(|| panic!("no header {name}"))
}

#[test]
fn pax_records_are_read_by_length() {
    let hs = corner_headers();
    assert_eq!(hs.len(), 89, "89 tar members");
    // Five xattrs on one file, the first with newlines and a NUL: all kept, path included.
    let multi = header(&hs, "corners/xattr/multi-file");
    let x: Vec<&[u8]> = multi
        .pax
        .keys()
        .filter_map(|k| k.strip_prefix(b"SCHILY.xattr."))
        .collect();
    assert_eq!(x.len(), 5, "{x:?}");
    assert_eq!(
        multi.pax[&b"SCHILY.xattr.user.first-nl"[..]],
        b"line1\nline2\0\n\x01"
    );
    // Bytes 0..31, newline included.
    let bin = header(&hs, "corners/xattr/bytes-0-31");
    assert_eq!(
        bin.pax[&b"SCHILY.xattr.user.bin"[..]],
        (0u8..32).collect::<Vec<_>>()
    );
    // A value that embeds `49 path=…` is a value, not a record: no such file appears.
    let emb = header(&hs, "corners/xattr/embedded-record-file");
    assert_eq!(
        emb.pax[&b"SCHILY.xattr.user.embedded"[..]],
        b"x\n49 path=corners/xattr/FAKE-path-from-xattr-value"
    );
    assert!(!hs.iter().any(|h| h.name.windows(4).any(|w| w == b"FAKE")));
    // A value ending in a newline, followed by the path record: the long path is kept.
    assert!(hs.iter().any(
        |h| h.name.starts_with(b"corners/xattr/ends-nl-then-path-eee")
            && h.pax.get(&b"SCHILY.xattr.user.ends-nl"[..])
                == Some(&b"value ends with a newline\n".to_vec())
    ));
    // The empty-valued xattr is a record like any other (the TOC has it too).
    let empty = header(&hs, "corners/xattr/empty-value");
    assert_eq!(empty.pax[&b"SCHILY.xattr.user.empty"[..]], b"");
}

#[test]
fn pax_times_are_floored_and_agree_with_the_toc() {
    let hs = corner_headers();
    // -315619200.25 is 1959-12-31T23:59:59.75Z: -315619201 s + 0.75 s.
    let neg = header(&hs, "corners/meta/mtime-neg-frac");
    assert_eq!(neg.mtime, Some((-315_619_201, 750_000_000)));
    let l = corners_layer("corners-current");
    let t = toc::parse(&l.toc_json_via_cli()).unwrap();
    let e = t
        .entries
        .iter()
        .find(|e| &*e.name == "corners/meta/mtime-neg-frac")
        .unwrap();
    assert_eq!(
        e.modtime.as_deref().map(String::as_str),
        Some("1959-12-31T23:59:59.75Z")
    );
    // base-256 and PAX ids, and the other times, all match the TOC: no difference but names.
    let big = header(&hs, "corners/meta/uid-base256");
    assert!(big.uid > 0o7777777 || big.gid > 0o7777777, "{big:?}");
    let ac = header(&hs, "corners/meta/atime-ctime");
    assert!(ac.atime.is_some() && ac.ctime.is_some());
}

#[test]
fn pull_hazards_per_layer() {
    let l = corners_layer("corners-current");
    let h = inspect_layer(&l, InspectOptions::default())
        .report
        .pull_hazards;
    let got: Vec<_> = h.iter().map(|h| (h.kind, h.pull, h.count)).collect();
    assert_eq!(
        got,
        [
            (HazardKind::DirMtime, HazardPull::Partial, 9),
            (HazardKind::FifoDropped, HazardPull::Partial, 1),
            (HazardKind::DeviceDropped, HazardPull::Partial, 2),
            (HazardKind::MtimeOutOfRange, HazardPull::FullPull, 5),
            (HazardKind::SelinuxXattrDropped, HazardPull::FullPull, 1),
        ]
    );
    assert_eq!(h[1].examples, ["corners/types/fifo"]);
    assert_eq!(h[4].examples, ["corners/xattr/selinux-file"]);
    assert!(h[3]
        .examples
        .iter()
        .any(|e| e == "corners/meta/mtime-neg-frac"));
    assert!(!h[3]
        .examples
        .iter()
        .any(|e| e == "corners/meta/mtime-after-2038"));
    // tiny-current: podman's partial pull lost data/fifo (fixtures README, behaviour 9).
    let t = inspect_layer(&layer("tiny-current", 1), InspectOptions::default())
        .report
        .pull_hazards;
    let kinds: Vec<_> = t.iter().map(|h| h.kind).collect();
    assert_eq!(kinds, [HazardKind::DirMtime, HazardKind::FifoDropped]);
    assert_eq!(t[1].examples, ["data/fifo"]);
    // pair-a layer 1: only directories.
    let p = inspect_layer(&layer("pair-a", 1), InspectOptions::default())
        .report
        .pull_hazards;
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].kind, p[0].count), (HazardKind::DirMtime, 27));
}

#[test]
fn cli_shows_the_failed_pull_and_the_hazards() {
    let dir = fixtures_dir().join("corners-current");
    let out = Command::new(env!("CARGO_BIN_EXE_chunkscope"))
        .args(["inspect", &format!("oci:{}", dir.display())])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "a failed check: {text}");
    assert!(
        text.contains("PULL FAILS (toc-tar-split-mismatch)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("error: {}", podman_corners_error())),
        "{text}"
    );
    assert!(
        text.contains(
            "hazard    partial pull: fifo-dropped (1 entry, e.g. \"corners/types/fifo\")"
        ),
        "{text}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_chunkscope"))
        .args(["inspect", &format!("oci:{}", dir.display()), "--json"])
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let l = &j["layers"][0];
    assert_eq!(l["partialPull"]["outcome"], "fails");
    assert_eq!(l["partialPull"]["code"], "toc-tar-split-mismatch");
    assert_eq!(l["partialPull"]["eligible"], false);
    assert_eq!(l["partialPull"]["error"], podman_corners_error().as_str());
    assert_eq!(l["tocTarSplitDifferences"][0]["kind"], "missing-in-toc");
    assert_eq!(l["pullHazards"][3]["kind"], "mtime-out-of-range");
    assert_eq!(l["pullHazards"][3]["pull"], "full-pull");
}

#[test]
fn cli_plan_says_the_pull_fails() {
    let dir = fixtures_dir().join("corners-current");
    let out = Command::new(env!("CARGO_BIN_EXE_chunkscope"))
        .args(["plan", &format!("oci:{}", dir.display())])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "layer 1: the pull fails: {}",
            podman_corners_error()
        )),
        "{text}"
    );
    assert!(
        text.contains("the pull FAILS on 1 layer (after its metadata request)"),
        "{text}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_chunkscope"))
        .args(["plan", &format!("oci:{}", dir.display()), "--json"])
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["layers"][0]["verdict"]["outcome"], "fails");
    assert_eq!(j["totals"]["failingLayers"], 1);
}

/// The rule table on altered descriptors of a real layer (tiny-current): each rule's outcome,
/// code and, for failures, containers/storage's wording.
#[test]
fn verdict_rules_on_altered_descriptors() {
    let l = layer("tiny-current", 1);
    let cur = "io.github.containers.zstd-chunked.";
    let verdict = |edit: &dyn Fn(&mut std::collections::BTreeMap<String, String>)| {
        let mut desc = l.desc.clone();
        edit(&mut desc.annotations);
        let (_, done) = drive(&desc, WITH_TAR_SPLIT, &l.blob);
        done.verdict
    };
    let blob = &l.desc.digest;

    let v = verdict(&|a| {
        a.insert(
            "containerd.io/snapshot/stargz/toc.digest".into(),
            "sha256:00".into(),
        );
    });
    assert_eq!(
        (v.outcome, v.code),
        (PullOutcome::Fails, VerdictCode::BothTocKinds)
    );
    assert_eq!(
        v.error.unwrap(),
        format!("partial pull of blob {blob}: both zstd:chunked and eStargz TOC found")
    );

    let wrong = format!("sha256:{}", "0".repeat(64));
    let v = verdict(&|a| {
        a.insert(format!("{cur}manifest-checksum"), wrong.clone());
    });
    assert_eq!(
        (v.outcome, v.code),
        (PullOutcome::Fails, VerdictCode::InvalidToc)
    );
    let e = v.error.unwrap();
    assert!(
        e.starts_with(&format!("partial pull of blob {blob}: read zstd:chunked manifest: validating and decompressing TOC: invalid blob checksum, expected checksum {wrong}, got sha256:")),
        "{e}"
    );

    let v = verdict(&|a| {
        a.remove(&format!("{cur}tarsplit-position"));
    });
    assert_eq!(
        (v.outcome, v.code),
        (PullOutcome::Fails, VerdictCode::NoTarSplitPosition)
    );
    assert_eq!(v.error.unwrap(), format!("partial pull of blob {blob}: read zstd:chunked manifest: TOC requires a tar-split, but the io.github.containers.zstd-chunked.tarsplit-position annotation does not describe a position"));

    let v = verdict(&|a| {
        let k = format!("{cur}manifest-position");
        let f: Vec<String> = a[&k].split(':').map(str::to_string).collect();
        a.insert(k, format!("{}:{}:{}:1", f[0], f[1], 150u64 << 20 | 1));
    });
    assert_eq!(
        (v.outcome, v.code),
        (PullOutcome::FullPull, VerdictCode::TocOverLimit)
    );

    let v = verdict(&|a| {
        a.insert(format!("{cur}manifest-position"), "1:2:3:2".into());
    });
    assert_eq!(
        (v.outcome, v.code),
        (PullOutcome::Fails, VerdictCode::BadAnnotations)
    );

    let v = verdict(&|a| a.clear());
    assert_eq!(
        (v.outcome, v.code),
        (PullOutcome::FullPull, VerdictCode::NoTocAnnotation)
    );
}
