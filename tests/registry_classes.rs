//! `chunkscope probe` and `inspect` against every registry behaviour class, on loopback: the
//! behaviour fronts (tests/registry/behaviour_front.py, one port per class before the real CNCF
//! distribution) and the S3 topology (distribution with the s3 driver and redirects on, over
//! moto_server), all started by `scripts/registry.sh` through `scripts/test.sh`.
//!
//! Each probe must name the class, status and cap and stay under 16 KiB; `inspect` must still
//! read every TOC with one single range per layer wherever the class allows it, which the
//! fronts' own request logs show. The addresses come from the environment: without it these
//! tests fail (run them with `npm test`).

mod core_support;

use core_support::{cli, docker, required_env};
use serde_json::Value;
use std::process::Command;

/// The URL of one behaviour front (`whole-body` → `BEHAVIOUR_WHOLE_BODY_URL`).
fn front(name: &str) -> String {
    required_env(&format!(
        "BEHAVIOUR_{}_URL",
        name.to_uppercase().replace('-', "_")
    ))
}

fn front_log(name: &str) -> Vec<Value> {
    let path = required_env(&format!(
        "BEHAVIOUR_{}_LOG",
        name.to_uppercase().replace('-', "_")
    ));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The ranged requests to `repo`'s blobs that the front logged after line `before`. The front
/// writes a line once the response went out, so a client can be done a moment before the line
/// is there: wait (up to 2 s) until `want` lines are.
fn ranged_lines(name: &str, before: usize, repo: &str, want: usize) -> Vec<Value> {
    let prefix = format!("/v2/{repo}/blobs/");
    let mut i = 0;
    loop {
        let lines: Vec<Value> = front_log(name)
            .into_iter()
            .skip(before)
            .filter(|l| l["path"].as_str().unwrap().starts_with(&prefix) && l["range"] != "")
            .collect();
        if lines.len() >= want || i >= 50 {
            return lines;
        }
        i += 1;
        std::thread::sleep(std::time::Duration::from_millis(40));
    }
}

/// The metadata requests of a `--json` report's `requestLog`.
fn metadata_requests(r: &Value) -> Vec<&Value> {
    r["requestLog"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["purpose"] == "metadata")
        .collect()
}

fn probe(url: &str, ladder: bool) -> Value {
    let image = docker(url, "pair-b:latest");
    let mut args = vec!["probe", "--json", "--insecure", &image];
    if ladder {
        args.push("--ladder");
    }
    let (code, p, err) = cli(&args);
    assert_eq!(code, 0, "{url}: {err}");
    p
}

/// front, class, status, cap, verdict (with --ladder)
type Expected = (
    &'static str,
    &'static str,
    Option<u16>,
    Option<u32>,
    &'static str,
);
const CLASSES: [Expected; 11] = [
    ("multipart", "multipart", None, None, "partial-pulls-work"),
    ("whole-body", "whole-body", None, None, "whole-layers"),
    (
        "rejected-400",
        "rejected",
        Some(400),
        None,
        "full-pull-fallback",
    ),
    ("rejected-416", "rejected", Some(416), None, "pull-fails"),
    (
        "rejected-416-plain",
        "rejected",
        Some(416),
        None,
        "pull-fails",
    ),
    ("rejected-501", "rejected", Some(501), None, "pull-fails"),
    (
        "range-cap-416-16",
        "range-cap",
        Some(416),
        Some(16),
        "pull-fails",
    ),
    (
        "range-cap-400-64",
        "range-cap",
        Some(400),
        Some(64),
        "partial-pulls-retry",
    ),
    (
        "first-range-only",
        "first-range-only",
        None,
        None,
        "pull-fails",
    ),
    ("no-range", "no-range", None, None, "whole-layers"),
    ("first-200", "first-200", None, None, "whole-layers"),
];

fn check_class(
    p: &Value,
    name: &str,
    class: &str,
    status: Option<u16>,
    cap: Option<u32>,
    verdict: &str,
) {
    assert_eq!(p["class"], class, "{name}: {p}");
    assert_eq!(p["status"], serde_json::json!(status), "{name}: {p}");
    assert_eq!(p["cap"], serde_json::json!(cap), "{name}: {p}");
    assert_eq!(p["verdict"], verdict, "{name}: {p}");
    let bytes = p["bytesFetched"].as_u64().unwrap();
    assert!(bytes < 16 * 1024, "{name}: the probe read {bytes} bytes");
    assert_eq!(
        p["requests"].as_u64().unwrap() as usize,
        p["requestLog"].as_array().unwrap().len()
    );
    if verdict != "partial-pulls-work" {
        assert!(!p["fix"].as_str().unwrap().is_empty(), "{name}: no fix");
    }
}

#[test]
fn probe_classifies_every_front() {
    for (name, class, status, cap, verdict) in CLASSES {
        if name == "first-200" {
            continue; // stateful: first_200_front_is_classified_and_read below
        }
        let p = probe(&front(name), true);
        check_class(&p, name, class, status, cap, verdict);
        if class == "range-cap" {
            // found exactly: the cap was accepted, cap + 1 refused
            let steps = p["ladder"].as_array().unwrap();
            let c = u64::from(cap.unwrap());
            assert!(
                steps
                    .iter()
                    .any(|s| s["ranges"] == c && s["accepted"] == true),
                "{p}"
            );
            assert!(
                steps
                    .iter()
                    .any(|s| s["ranges"] == c + 1 && s["accepted"] == false),
                "{p}"
            );
        }
    }
    // Without the ladder a cap above 2 ranges is invisible: 2 ranges get multipart.
    let p = probe(&front("range-cap-416-16"), false);
    assert_eq!(p["class"], "multipart", "{p}");
    assert_eq!(p["ladder"], serde_json::json!([]));
    // The front logged exactly the probe's requests to the blob, as the report lists them.
    let log = front_log("rejected-501");
    let last = log.iter().rev().find(|l| l["ranges"] == 2).unwrap();
    assert_eq!(last["status"], 501);
    assert_eq!(last["range"], "bytes=0-99,200-299");
}

#[test]
fn first_200_front_is_classified_and_read() {
    let url = front("first-200");
    let reset = Command::new("curl")
        .args(["-fsS", &format!("{url}/_behaviour/reset")])
        .output()
        .unwrap();
    assert!(reset.status.success());
    let p = probe(&url, true);
    check_class(&p, "first-200", "first-200", None, None, "whole-layers");
    assert_eq!(p["singleRange"]["status"], 200);
    assert_eq!(p["repeatRange"]["status"], 206);
    assert!(p["fix"].as_str().unwrap().contains("blobdescriptor"));
    // inspect: each layer's first ranged request gets 200, is cancelled and retried once.
    let before = front_log("first-200").len();
    let (code, r, err) = cli(&[
        "inspect",
        "--json",
        "--toc-only",
        "--insecure",
        &docker(&url, "pair-a:latest"),
    ]);
    assert_eq!(code, 0, "{err}");
    let meta = metadata_requests(&r);
    let layers = r["layers"].as_array().unwrap().len();
    assert_eq!(meta.len(), 2 * layers, "{meta:?}");
    for pair in meta.chunks(2) {
        assert_eq!(
            (pair[0]["status"].as_u64(), pair[0]["aborted"].as_bool()),
            (Some(200), Some(true))
        );
        assert_eq!(pair[1]["status"], 206);
        assert_eq!(pair[0]["range"], pair[1]["range"]);
        // what the cancelled 200 cost the reader
        assert!(pair[0]["bytes"].as_u64().unwrap() < 64 * 1024, "{pair:?}");
    }
    let ranged = ranged_lines("first-200", before, "pair-a", 2 * layers);
    assert_eq!(ranged.len(), 2 * layers, "{ranged:?}");
    assert!(ranged.iter().all(|l| l["ranges"] == 1));
}

/// The fronts where a single range is answered with 206: inspect must read every TOC there with
/// one single range per layer.
#[test]
fn inspect_reads_each_toc_with_one_single_range_through_every_front() {
    for (name, ..) in CLASSES {
        if matches!(name, "first-200" | "no-range") {
            continue; // first-200: above; no-range: refused, as RANGE0 in registry_cli.rs
        }
        let url = front(name);
        let before = front_log(name).len();
        let (code, r, err) = cli(&[
            "inspect",
            "--json",
            "--toc-only",
            "--insecure",
            &docker(&url, "pair-a:latest"),
        ]);
        assert_eq!(code, 0, "{name}: {err}");
        let layers = r["layers"].as_array().unwrap();
        assert!(layers.iter().all(|l| l["error"].is_null()), "{name}: {r}");
        // The front's log: one single-range GET per layer blob, nothing else ranged.
        let ranged = ranged_lines(name, before, "pair-a", layers.len());
        assert_eq!(ranged.len(), layers.len(), "{name}: {ranged:?}");
        for l in ranged {
            assert_eq!(l["ranges"], 1, "{name}: {l}");
            assert_eq!(l["status"], 206, "{name}: {l}");
        }
    }
}

#[test]
fn no_range_front_is_refused_after_one_retry() {
    let url = front("no-range");
    let (code, r, _) = cli(&[
        "inspect",
        "--json",
        "--toc-only",
        "--insecure",
        &docker(&url, "pair-a:latest"),
    ]);
    assert_eq!(code, 1);
    let meta = metadata_requests(&r);
    assert_eq!(meta.len(), 4, "{meta:?}");
    assert!(meta
        .iter()
        .all(|q| q["aborted"] == true && q["status"] == 200));
    let wasted: u64 = meta.iter().map(|q| q["bytes"].as_u64().unwrap()).sum();
    assert!(wasted < 2 * 64 * 1024, "{wasted}");
}

#[test]
fn s3_topology_is_whole_body_behind_a_redirect() {
    let url = required_env("S3_REGISTRY_URL");
    let s3 = required_env("S3_ENDPOINT_URL");
    let p = probe(&url, true);
    check_class(&p, "s3", "whole-body", None, None, "whole-layers");
    assert_eq!(p["redirectedTo"], s3.as_str(), "{p}");
    let fix = p["fix"].as_str().unwrap();
    assert!(
        fix.contains("redirect:") && fix.contains("disable: true"),
        "{fix}"
    );
    assert!(fix.contains("Trade-off"), "{fix}");
    // the bucket's CORS rules are the browser's need, apart from podman's fix
    assert!(!fix.contains("AllowedOrigins"), "{fix}");
    let browser_fix = p["browserFix"].as_str().unwrap();
    assert!(
        browser_fix.contains("AllowedOrigins"),
        "bucket CORS: {browser_fix}"
    );
    // the blob requests were answered by the S3 server after a 307 from the registry
    let (code, r, err) = cli(&[
        "inspect",
        "--json",
        "--toc-only",
        "--insecure",
        &docker(&url, "pair-b:latest"),
    ]);
    assert_eq!(code, 0, "{err}");
    let meta = metadata_requests(&r);
    assert_eq!(meta.len(), r["layers"].as_array().unwrap().len());
    for q in meta {
        assert_eq!(q["status"], 206, "{q}");
        let range = q["range"].as_str().unwrap();
        assert!(
            range.starts_with("bytes=") && !range.contains(','),
            "{range}"
        );
    }
}
