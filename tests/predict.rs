//! The planner's prediction of what podman 5.4.2 really does on a registry of each behaviour
//! class, on the fixtures' pulls (`tests/fixtures/pulls/`), with the halving retries, the
//! fallbacks, the double downloads and the retries of a failing pull.

use chunkscope::inspect::InspectOptions;
use chunkscope::plan::predict::{predict, ErrorBody, Outcome, PredictOptions, RequestKind};
use chunkscope::plan::{plan_pull, LayerInput, PlanOptions, PullPlan};
use chunkscope::registry::behaviour::RegistryBehaviour;
use chunkscope::source::layout::OciLayout;
use chunkscope::source::{inspect_image_blocking, InspectedImage};
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

/// Plans `want` over `have` and predicts it on `behaviour` (`CLASS[:STATUS][:CAP]`).
fn predicted(want: &str, have: &[&str], behaviour: &str, body: ErrorBody) -> PullPlan {
    let w = image(want);
    let h: Vec<InspectedImage> = have.iter().map(|n| image(n)).collect();
    let h: Vec<&InspectedImage> = h.iter().collect();
    let mut p = core_support::plan_images(&w, &h, &PlanOptions::default());
    let mut o = PredictOptions::new(behaviour.parse::<RegistryBehaviour>().unwrap());
    o.error_body = body;
    o.config_bytes = Some(w.manifest.config.size);
    predict(&mut p, &o);
    p
}

/// `(status, ranges, bytes_sent)` of podman's requests for layer `layer` in a recorded pull.
fn logged(phase: &str, layer: u64) -> Vec<(u16, usize, u64)> {
    let text = std::fs::read_to_string(fixtures().join(format!("pulls/{phase}.jsonl"))).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["layer"].as_u64() == Some(layer))
        .map(|r| {
            (
                r["status"].as_u64().unwrap() as u16,
                r["ranges"].as_array().unwrap().len(),
                r["bytes_sent"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn statuses(p: &PullPlan, layer: usize) -> Vec<(u16, usize)> {
    p.layers[layer]
        .predicted
        .as_ref()
        .unwrap()
        .requests
        .iter()
        .map(|r| (r.status, r.ranges.len()))
        .collect()
}

/// Multipart registry: the prediction is the plan, every request 206, as in phases i–iii.
#[test]
fn multipart_is_the_plan_and_matches_podman() {
    for (phase, want, have) in [
        ("i-cold-pair-a", "pair-a", &[][..]),
        ("ii-pair-b-after-pair-a", "pair-b", &["pair-a"][..]),
        ("iii-cold-pair-b", "pair-b", &[][..]),
    ] {
        let p = predicted(want, have, "multipart", ErrorBody::Text);
        let t = p.totals.predicted.as_ref().unwrap();
        assert_eq!(t.outcome, Outcome::Partial, "{phase}");
        assert_eq!(t.attempts, 1);
        for (i, l) in p.layers.iter().enumerate() {
            let log = logged(phase, i as u64 + 1);
            let Some(pr) = &l.predicted else {
                assert!(l.reused && log.is_empty());
                continue;
            };
            assert_eq!(pr.outcome, Outcome::Partial);
            assert_eq!(pr.bytes, l.fetch_bytes);
            let want: Vec<(u16, usize)> = log.iter().map(|r| (r.0, r.1)).collect();
            assert_eq!(statuses(&p, i), want, "{phase} layer {}", i + 1);
        }
        assert_eq!(t.layer_requests, p.totals.requests);
        assert_eq!(t.requests, p.totals.requests + 1);
    }
}

/// Phase iv (nginx `max_ranges 1`: `whole-body`): both requests of layer 2 are answered 200 with
/// the whole blob; podman "succeeds" having received 7,196,252 bytes.
#[test]
fn whole_body_is_a_double_download_as_recorded() {
    let p = predicted("pair-b", &["pair-a"], "whole-body", ErrorBody::Text);
    let t = p.totals.predicted.as_ref().unwrap();
    assert_eq!(t.outcome, Outcome::DoubleDownload);
    assert_eq!(t.bytes, 7_196_252);
    assert!(p.layers[0].predicted.is_none());
    let l2 = p.layers[1].predicted.as_ref().unwrap();
    assert_eq!(l2.outcome, Outcome::DoubleDownload);
    let log = logged("iv-pair-b-after-pair-a-max-ranges-1", 2);
    let got: Vec<(u16, usize, u64)> = l2
        .requests
        .iter()
        .map(|r| (r.status, r.ranges.len(), r.bytes))
        .collect();
    assert_eq!(got, log);
    assert_eq!(got, [(200, 2, 3_598_126), (200, 78, 3_598_126)]);
    // Cold on the same front: the single-range data requests are answered 206.
    let cold = predicted("pair-b", &[], "whole-body", ErrorBody::Text);
    for (i, l) in cold.layers.iter().enumerate() {
        assert_eq!(statuses(&cold, i), [(200, 2), (206, 1)]);
        let pr = l.predicted.as_ref().unwrap();
        assert_eq!(pr.bytes, l.full_pull_bytes + l.request_list[1].bytes);
    }
    // no-range: even the single range costs the blob; first-200: only the first request.
    let nr = predicted("pair-b", &[], "no-range", ErrorBody::Text);
    assert_eq!(statuses(&nr, 0), [(200, 2), (200, 1)]);
    let nt = nr.totals.predicted.as_ref().unwrap();
    assert_eq!(nt.bytes, 2 * nr.totals.full_pull_bytes);
    let f2 = predicted("pair-b", &["pair-a"], "first-200", ErrorBody::Text);
    assert_eq!(statuses(&f2, 1), [(200, 2), (206, 78)]);
    assert_eq!(
        f2.layers[1].predicted.as_ref().unwrap().outcome,
        Outcome::DoubleDownload
    );
}

/// 400 to every multi-range request: the metadata request's 400 makes each layer an ordinary
/// full pull.
#[test]
fn rejected_400_falls_back_to_full_pulls() {
    let p = predicted("pair-b", &["pair-a"], "rejected:400", ErrorBody::Text);
    let t = p.totals.predicted.as_ref().unwrap();
    assert_eq!(t.outcome, Outcome::FullFallback);
    let l2 = p.layers[1].predicted.as_ref().unwrap();
    assert_eq!(l2.outcome, Outcome::FullFallback);
    let kinds: Vec<(RequestKind, u16, u64)> = l2
        .requests
        .iter()
        .map(|r| (r.kind, r.status, r.bytes))
        .collect();
    assert_eq!(
        kinds,
        [
            (RequestKind::Metadata, 400, 0),
            (RequestKind::Full, 200, 3_598_126)
        ]
    );
    assert_eq!(t.bytes, 3_598_126);
    assert_eq!(t.error, None);
}

/// 416 with a registry JSON error: not a fallback, and retryable: 4 attempts, each with the
/// config and every layer's metadata request. With a plain-text body, or 501, at once.
#[test]
fn rejected_416_and_501_fail_with_or_without_retries() {
    let p = predicted("pair-b", &[], "rejected:416", ErrorBody::Json);
    let t = p.totals.predicted.as_ref().unwrap();
    assert_eq!(t.outcome, Outcome::Fails);
    assert_eq!(t.attempts, 4);
    assert_eq!(t.layer_requests, 8);
    assert_eq!(t.requests, 12);
    assert_eq!(t.bytes, 0);
    assert_eq!(t.config_bytes, 4 * 568);
    let e = t.error.as_deref().unwrap();
    assert!(
        e.contains("read zstd:chunked manifest: fetching partial blob: CODE: message (the registry's JSON error, on a 416"),
        "{e}"
    );
    let l1 = p.layers[0].predicted.as_ref().unwrap();
    let att: Vec<u32> = l1.requests.iter().map(|r| r.attempt).collect();
    assert_eq!(att, [1, 2, 3, 4]);
    for (behaviour, body) in [
        ("rejected:416", ErrorBody::Text),
        ("rejected:501", ErrorBody::Json),
        ("rejected:501", ErrorBody::Text),
    ] {
        let p = predicted("pair-b", &[], behaviour, body);
        let t = p.totals.predicted.as_ref().unwrap();
        assert_eq!((t.outcome, t.attempts, t.requests), (Outcome::Fails, 1, 3));
    }
}

/// A range cap with 400 above it: the halving loop of `retrieveMissingFiles` (78 → 38 → 18 → 8
/// for pair-b's layer 2 at cap 16); with 416 the first refusal fails the pull.
#[test]
fn range_cap_halves_on_400_and_fails_on_416() {
    let p = predicted("pair-b", &["pair-a"], "range-cap:400:16", ErrorBody::Text);
    let t = p.totals.predicted.as_ref().unwrap();
    assert_eq!(t.outcome, Outcome::Partial);
    assert_eq!(
        statuses(&p, 1),
        [(206, 2), (400, 78), (400, 38), (400, 18), (206, 8)]
    );
    let l2 = &p.layers[1];
    let pr = l2.predicted.as_ref().unwrap();
    // Fewer ranges, more bytes: the bridged gaps are downloaded.
    let last = pr.requests.last().unwrap();
    assert!(last.bytes > l2.request_list[1].bytes);
    assert_eq!(pr.bytes, l2.metadata_bytes + last.bytes);
    // Every range of the plan is still covered.
    for r in &l2.request_list[1].ranges {
        assert!(last
            .ranges
            .iter()
            .any(|c| c.offset <= r.offset && r.end() <= c.end()));
    }
    // At cap 78 nothing is refused.
    let p = predicted("pair-b", &["pair-a"], "range-cap:400:78", ErrorBody::Text);
    assert_eq!(statuses(&p, 1), [(206, 2), (206, 78)]);

    let p = predicted("pair-b", &["pair-a"], "range-cap:416:16", ErrorBody::Json);
    let t = p.totals.predicted.as_ref().unwrap();
    assert_eq!((t.outcome, t.attempts), (Outcome::Fails, 4));
    assert_eq!(statuses(&p, 1)[..2], [(206, 2), (416, 78)]);
    assert_eq!(t.layer_requests, 8);
    // Before failing, each attempt received the metadata.
    assert_eq!(t.bytes, 4 * p.layers[1].metadata_bytes);
    let e = t.error.as_deref().unwrap();
    assert!(
        e.contains("staging a partially-pulled layer: fetching partial blob: CODE"),
        "{e}"
    );
    // A cap of 1 refuses the metadata request itself.
    let p = predicted("pair-b", &[], "range-cap:400:1", ErrorBody::Text);
    assert_eq!(
        p.totals.predicted.as_ref().unwrap().outcome,
        Outcome::FullFallback
    );
}

/// A plain 206 of the first range: "stream closed", at once, never retried.
#[test]
fn first_range_only_fails_at_once() {
    let p = predicted("pair-b", &[], "first-range-only", ErrorBody::Json);
    let t = p.totals.predicted.as_ref().unwrap();
    assert_eq!((t.outcome, t.attempts, t.requests), (Outcome::Fails, 1, 3));
    assert!(t
        .error
        .as_deref()
        .unwrap()
        .ends_with("read zstd:chunked manifest: stream closed"));
    let l1 = &p.layers[0];
    let r = &l1.predicted.as_ref().unwrap().requests[0];
    assert_eq!(
        (r.status, r.bytes),
        (206, l1.request_list[0].ranges[0].length)
    );
}

/// Legacy layers are pulled whole whatever the registry does with ranges.
/// A layer the reference rejects on its content fails after its metadata request on any
/// registry that answers it, as podman 5.4.2 did with corners-current (1 request of 2 ranges,
/// 15,156 bytes, "tar-split and TOC data is inconsistent"), and is not retried.
#[test]
fn a_layer_the_reference_rejects_fails_after_its_metadata_on_every_answering_class() {
    let mut src = OciLayout::open(&fixtures().join("corners-current"), None).unwrap();
    let opts = InspectOptions {
        tar_split: true,
        footer: false,
        files: false,
    };
    let w = inspect_image_blocking(&mut src, "corners-current", None, opts).unwrap();
    let wi = LayerInput::image(&w);
    for (behaviour, bytes) in [
        ("multipart", 15_156),
        ("range-cap:400:64", 15_156),
        ("whole-body", 4_353_112),
    ] {
        let mut p = plan_pull(&wi, &[], &PlanOptions::default());
        let mut o = PredictOptions::new(behaviour.parse::<RegistryBehaviour>().unwrap());
        o.error_body = ErrorBody::Json;
        predict(&mut p, &o);
        let l = p.layers[0].predicted.as_ref().unwrap();
        assert_eq!(l.outcome, Outcome::Fails, "{behaviour}");
        assert_eq!(l.requests.len(), 1, "{behaviour}");
        assert_eq!(l.requests[0].ranges.len(), 2, "{behaviour}");
        assert_eq!(l.bytes, bytes, "{behaviour}");
        assert_eq!(
            l.error.as_deref(),
            Some("partial pull of blob sha256:bc618df71d31d1ea951b274eb0a2fda7d6784223149231dbb8bcd2cb94392373: read zstd:chunked manifest: tar-split and TOC data is inconsistent: tar-split contains an entry for \"corners/names/latin1-caf\\xe9-\\xff\\xfe-ustar\" missing in TOC"),
            "{behaviour}"
        );
        assert_eq!(
            p.totals.predicted.as_ref().unwrap().attempts,
            1,
            "not retried"
        );
    }
}

#[test]
fn legacy_full_pulls_are_unaffected() {
    for b in ["rejected:416", "first-range-only", "whole-body", "no-range"] {
        let p = predicted("pair-a-legacy", &[], b, ErrorBody::Json);
        let t = p.totals.predicted.as_ref().unwrap();
        assert_eq!(t.bytes, p.totals.full_pull_bytes, "{b}");
        assert_eq!(t.layer_requests, 2);
    }
}

#[test]
fn prediction_json_is_typed_and_kebab_case() {
    let p = predicted("pair-b", &["pair-a"], "range-cap:400:16", ErrorBody::Text);
    let v = serde_json::to_value(&p).unwrap();
    let pr = &v["layers"][1]["predicted"];
    assert_eq!(pr["outcome"], "partial");
    assert_eq!(pr["requests"][0]["kind"], "metadata");
    assert_eq!(pr["requests"][1]["status"], 400);
    assert!(pr["error"].is_null());
    assert!(v["layers"][0].get("predicted").is_none());
    let t = &v["totals"]["predicted"];
    assert_eq!(t["behaviour"], "range-cap:400:16");
    assert_eq!(t["errorBody"], "text");
    let p = predicted("pair-b", &[], "rejected:416", ErrorBody::Json);
    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(v["totals"]["predicted"]["outcome"], "fails");
    assert_eq!(v["layers"][0]["predicted"]["requests"][0]["attempt"], 1);
    // Without a behaviour nothing is added.
    let plain = serde_json::to_value(plan_pull(&[], &[], &PlanOptions::default())).unwrap();
    assert!(plain["totals"].get("predicted").is_none());
}

/// The CLI: `--registry-behaviour` adds the prediction to the text and JSON output; a malformed
/// class is a usage error that names the classes.
#[cfg(feature = "cli")]
#[test]
fn cli_registry_behaviour() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_chunkscope"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let want = "oci:tests/fixtures/pair-b";
    let have = "oci:tests/fixtures/pair-a";
    let (code, text, err) = run(&[
        "plan",
        want,
        "--have",
        have,
        "--registry-behaviour",
        "range-cap:400:16",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        text.contains("data 78 ranges → 400 (0 bytes); data 38 ranges → 400"),
        "{text}"
    );
    assert!(
        text.contains("predicted on range-cap:400:16: partial, 6 requests, 1,600,675 bytes"),
        "{text}"
    );
    let (code, json, _) = run(&[
        "plan",
        want,
        "--have",
        have,
        "--json",
        "--registry-behaviour",
        "rejected:416",
        "--error-body",
        "json",
        "--retries",
        "1",
    ]);
    assert_eq!(code, Some(0));
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["totals"]["predicted"]["attempts"], 2);
    assert_eq!(v["totals"]["predicted"]["outcome"], "fails");
    assert_eq!(v["totals"]["predicted"]["errorBody"], "json");
    for bad in ["s3", "rejected", "range-cap:416"] {
        let (code, _, err) = run(&["plan", want, "--registry-behaviour", bad]);
        assert_eq!(code, Some(2), "{bad}");
        assert!(err.contains("first-range-only"), "{err}");
        assert!(!err.contains("panicked"));
    }
    let (code, _, err) = run(&["plan", want, "--probe"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--probe needs a registry image"), "{err}");
}
