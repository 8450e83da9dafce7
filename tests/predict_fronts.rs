//! The prediction against the behaviour fronts (tests/registry/behaviour_front.py, started by
//! scripts/registry.sh through scripts/test.sh): a native puller model replays each layer's
//! predicted requests, in order and over every attempt, against the front of that class, and
//! the statuses (and body sizes) the front answers, and what it logs, must be the prediction's.
//!
//! Needs the `BEHAVIOUR_<NAME>_URL`/`_LOG` variables of scripts/registry.sh's env; fails
//! without them (run through `npm test` or `TEST_ONLY=native scripts/test.sh`).
#![cfg(feature = "cli")]

mod core_support;

use chunkscope::plan::predict::{predict, ErrorBody, Outcome, PredictOptions, PredictedRequest};
use chunkscope::plan::{PlanOptions, PullPlan};
use chunkscope::registry::behaviour::RegistryBehaviour;
use chunkscope::source::InspectedImage;
use core_support::{image_toc_only, required_env};
use serde_json::Value;
use std::io::Read;

/// Front name (registry.sh's BEHAVIOUR_FRONTS), the class it has, what its refusals carry.
const FRONTS: [(&str, &str, ErrorBody); 11] = [
    ("multipart", "multipart", ErrorBody::Text),
    ("whole-body", "whole-body", ErrorBody::Text),
    ("rejected-400", "rejected:400", ErrorBody::Text),
    ("rejected-416", "rejected:416", ErrorBody::Json),
    ("rejected-416-plain", "rejected:416", ErrorBody::Text),
    ("rejected-501", "rejected:501", ErrorBody::Text),
    ("range-cap-416-16", "range-cap:416:16", ErrorBody::Json),
    ("range-cap-400-64", "range-cap:400:64", ErrorBody::Text),
    ("first-range-only", "first-range-only", ErrorBody::Text),
    ("no-range", "no-range", ErrorBody::Text),
    ("first-200", "first-200", ErrorBody::Text),
];

/// The fronts' logs are shared: the tests here take turns.
static FRONTS_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn key(name: &str) -> String {
    format!("BEHAVIOUR_{}", name.to_uppercase().replace('-', "_"))
}

fn predicted(want: &InspectedImage, have: &[&InspectedImage], o: &PredictOptions) -> PullPlan {
    let mut p = core_support::plan_images(want, have, &PlanOptions::default());
    predict(&mut p, o);
    p
}

/// One GET as the reference sends it; returns (status, content type, body bytes).
fn send(agent: &ureq::Agent, url: &str, r: &PredictedRequest) -> (u16, String, u64) {
    let mut req = agent.get(url);
    if !r.ranges.is_empty() {
        let spec: Vec<String> = r
            .ranges
            .iter()
            .map(|s| format!("{}-{}", s.offset, s.offset + s.length - 1))
            .collect();
        req = req.set("Range", &format!("bytes={}", spec.join(",")));
    }
    let resp = match req.call() {
        Ok(resp) => resp,
        Err(ureq::Error::Status(_, resp)) => resp,
        Err(e) => panic!("{url}: {e}"),
    };
    let status = resp.status();
    let ct = resp.header("content-type").unwrap_or_default().to_string();
    let mut body = Vec::new();
    resp.into_reader()
        .take(64 << 20)
        .read_to_end(&mut body)
        .unwrap();
    (status, ct, body.len() as u64)
}

/// The blob GETs with a Range header or to a layer, as the front logged them since `from`.
fn logged(log: &str, from: usize) -> Vec<(usize, u16)> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .skip(from)
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["path"].as_str().unwrap_or("").contains("/blobs/"))
        .map(|v| {
            (
                v["ranges"].as_u64().unwrap() as usize,
                v["status"].as_u64().unwrap() as u16,
            )
        })
        .collect()
}

fn line_count(log: &str) -> usize {
    std::fs::read_to_string(log).unwrap().lines().count()
}

/// Replays the prediction of every scenario against every front.
#[test]
fn predicted_requests_are_what_each_front_answers() {
    let _turn = FRONTS_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let a = image_toc_only("pair-a");
    let b = image_toc_only("pair-b");
    let agent = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(60))
        .build();
    let mut outcomes = Vec::new();
    for (name, behaviour, body) in FRONTS {
        let url = required_env(&format!("{}_URL", key(name)));
        let log = required_env(&format!("{}_LOG", key(name)));
        let mut o = PredictOptions::new(behaviour.parse::<RegistryBehaviour>().unwrap());
        o.error_body = body;
        for (scenario, have) in [("cold", vec![]), ("over pair-a", vec![&a])] {
            if name == "first-200" {
                // Forget the blobs seen so far: the prediction is for a cold front.
                let (s, _, _) = send(
                    &agent,
                    &format!("{url}/_behaviour/reset"),
                    &PredictedRequest {
                        kind: chunkscope::plan::predict::RequestKind::Full,
                        ranges: vec![],
                        bytes: 0,
                        status: 200,
                        attempt: 1,
                    },
                );
                assert_eq!(s, 200);
            }
            let p = predicted(&b, &have, &o);
            let start = line_count(&log);
            let mut want_log = Vec::new();
            // Attempt by attempt, layer by layer, as podman's retries redo them.
            let attempts = p.totals.predicted.as_ref().unwrap().attempts;
            for attempt in 1..=attempts {
                for l in &p.layers {
                    let Some(pr) = &l.predicted else { continue };
                    let blob = format!("{url}/v2/pair-b/blobs/{}", l.digest);
                    for r in pr.requests.iter().filter(|r| r.attempt == attempt) {
                        let (status, ct, got) = send(&agent, &blob, r);
                        let what = format!(
                            "{name} {scenario} layer {} {:?} with {} ranges",
                            l.index,
                            r.kind,
                            r.ranges.len()
                        );
                        assert_eq!(status, r.status, "{what}");
                        match status {
                            200 => assert_eq!(got, l.full_pull_bytes, "{what}"),
                            206 if ct.starts_with("multipart/byteranges") => {
                                assert!(r.ranges.len() >= 2, "{what}");
                                assert!(got > r.bytes, "{what}: multipart body {got} bytes");
                            }
                            206 => assert_eq!(got, r.bytes, "{what}"),
                            _ => assert_eq!(r.bytes, 0, "{what}"),
                        }
                        want_log.push((r.ranges.len(), r.status));
                    }
                }
            }
            // The front writes a line once the answer is sent: wait for the last ones.
            let mut got = logged(&log, start);
            for _ in 0..50 {
                if got.len() >= want_log.len() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
                got = logged(&log, start);
            }
            assert_eq!(got, want_log, "{name} {scenario}: front log");
            outcomes.push((name, scenario, p.totals.predicted.unwrap().outcome));
        }
    }
    // Every outcome is exercised.
    for w in [
        Outcome::Partial,
        Outcome::DoubleDownload,
        Outcome::FullFallback,
        Outcome::Fails,
    ] {
        assert!(outcomes.iter().any(|o| o.2 == w), "{w:?}: {outcomes:?}");
    }
    let find = |n: &str, s: &str| outcomes.iter().find(|o| o.0 == n && o.1 == s).unwrap().2;
    assert_eq!(find("range-cap-400-64", "over pair-a"), Outcome::Partial);
    assert_eq!(find("range-cap-416-16", "over pair-a"), Outcome::Fails);
    assert_eq!(find("range-cap-416-16", "cold"), Outcome::Partial);
    assert_eq!(find("first-200", "cold"), Outcome::DoubleDownload);
}

/// `chunkscope plan --probe`: the class the probe finds is the one predicted for, the refusal
/// body decides the retries; `--registry-behaviour` gives the same prediction without probing.
#[test]
fn plan_probe_predicts_on_the_class_found() {
    let _turn = FRONTS_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let cli = |args: &[&str]| -> Value {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_chunkscope"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    for (name, class, body, outcome) in [
        ("range-cap-416-16", "range-cap:416:16", "json", "fails"),
        ("range-cap-400-64", "range-cap:400:64", "text", "partial"),
        ("rejected-416-plain", "rejected:416", "text", "fails"),
        ("rejected-400", "rejected:400", "text", "full-fallback"),
    ] {
        let url = required_env(&format!("{}_URL", key(name)));
        let want = format!("docker://{}/pair-b", url.trim_start_matches("http://"));
        let have = "oci:tests/fixtures/pair-a";
        let v = cli(&[
            "plan",
            "--json",
            "--insecure",
            "--probe",
            &want,
            "--have",
            have,
        ]);
        let t = &v["totals"]["predicted"];
        assert_eq!(t["behaviour"], class, "{name}");
        assert_eq!(t["errorBody"], body, "{name}");
        assert_eq!(t["outcome"], outcome, "{name}");
        assert!(v["probe"]["requests"].as_u64().unwrap() >= 3);
        let given = cli(&[
            "plan",
            "--json",
            "--insecure",
            &want,
            "--have",
            have,
            "--registry-behaviour",
            class,
            "--error-body",
            body,
        ]);
        assert_eq!(given["totals"]["predicted"], *t, "{name}");
        assert_eq!(given["layers"], v["layers"], "{name}");
    }
}
