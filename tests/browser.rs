//! The browser client in a real headless Chromium, against the real registry that
//! `scripts/test.sh` starts (CNCF distribution with CORS, plus nginx fronts).
//!
//! Registry addresses arrive at compile time (`option_env!`), because wasm code cannot read the
//! environment at run time. Everything here goes through the exported JS API functions, i.e.
//! exactly what a page calls.
#![cfg(target_arch = "wasm32")]

use chunkscope::web;
use serde_json::Value;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The logging front: passes Range through unchanged and records every request.
const LOG_URL: Option<&str> = option_env!("LOG_URL");
const REGISTRY_URL: Option<&str> = option_env!("REGISTRY_URL");
/// nginx answering ranges itself with `max_ranges 1` (multi-range → 200, like S3/minio).
const RANGE1_URL: Option<&str> = option_env!("RANGE1_URL");
/// nginx ignoring Range entirely (every range → 200 with the whole blob).
const RANGE0_URL: Option<&str> = option_env!("RANGE0_URL");

fn url(v: Option<&'static str>, name: &str) -> &'static str {
    v.unwrap_or_else(|| {
        panic!("{name} was not set at compile time: run these tests through scripts/test.sh")
    })
}

fn obj(v: &Value) -> JsValue {
    // Plain objects (not Maps) are what a page passes.
    js_sys::JSON::parse(&v.to_string()).unwrap()
}

fn back(v: JsValue) -> Value {
    let s: String = js_sys::JSON::stringify(&v).unwrap().into();
    serde_json::from_str(&s).unwrap()
}

/// What a rejected promise carried: the JS `Error`'s `kind`, `message`, `status`, `url` and
/// `details` as JSON (what a page switches on).
fn rejection(e: JsValue) -> Value {
    let get = |k: &str| js_sys::Reflect::get(&e, &JsValue::from_str(k)).unwrap_or(JsValue::NULL);
    assert!(
        wasm_bindgen::JsCast::is_instance_of::<js_sys::Error>(&e),
        "rejects with an Error: {e:?}"
    );
    serde_json::json!({
        "kind": get("kind").as_string(),
        "message": get("message").as_string(),
        "status": get("status").as_f64(),
        "url": get("url").as_string(),
        "details": back(get("details")),
    })
}

async fn inspect(registry: &str, repo: &str, extra: Value) -> Result<Value, Value> {
    let mut o =
        serde_json::json!({"registry": registry, "repository": repo, "reference": "latest"});
    o.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    web::inspect_image_js(obj(&o))
        .await
        .map(back)
        .map_err(rejection)
}

fn metadata_requests(report: &Value) -> Vec<&Value> {
    report["requestLog"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["purpose"] == "metadata")
        .collect()
}

const ANNOTATED: [&str; 6] = [
    "tiny-current",
    "pair-a",
    "pair-b",
    "tiny-legacy",
    "pair-a-legacy",
    "pair-b-legacy",
];

#[wasm_bindgen_test]
async fn each_annotated_layer_costs_one_request_of_exactly_its_toc() {
    for repo in ANNOTATED {
        let r = inspect(url(LOG_URL, "LOG_URL"), repo, serde_json::json!({}))
            .await
            .unwrap();
        let layers = r["layers"].as_array().unwrap();
        let meta = metadata_requests(&r);
        assert_eq!(
            meta.len(),
            layers.len(),
            "{repo}: one metadata request per layer"
        );
        for (l, req) in layers.iter().zip(&meta) {
            assert!(l["error"].is_null(), "{repo}: {}", l["error"]);
            let toc = &l["toc"];
            assert_eq!(l["reads"], 1, "{repo}");
            assert_eq!(
                l["bytesRead"], toc["length"],
                "{repo}: exactly the compressed TOC"
            );
            assert_eq!(req["bytes"], toc["length"], "{repo}: body bytes received");
            let (o, n) = (
                toc["offset"].as_u64().unwrap(),
                toc["length"].as_u64().unwrap(),
            );
            assert_eq!(
                req["range"],
                format!("bytes={}-{}", o, o + n - 1),
                "{repo}: single absolute range"
            );
            assert_eq!(req["status"], 206);
            assert!(toc["digestVerified"].as_bool().unwrap(), "{repo}");
            assert!(
                l["checks"]
                    .as_object()
                    .unwrap()
                    .values()
                    .all(|c| c["state"] == "pass"),
                "{repo}: {}",
                l["checks"]
            );
        }
        // manifest + config + one per layer, nothing else.
        assert_eq!(
            r["requests"].as_u64().unwrap() as usize,
            2 + layers.len(),
            "{repo}: {}",
            r["requestLog"]
        );
    }
}

#[wasm_bindgen_test]
async fn tar_split_is_read_in_the_same_single_range() {
    let r = inspect(
        url(LOG_URL, "LOG_URL"),
        "pair-b",
        serde_json::json!({"verifyTarSplit": true}),
    )
    .await
    .unwrap();
    let expected_tar = [3_139_584u64, 5_892_096];
    for (l, tar) in r["layers"].as_array().unwrap().iter().zip(expected_tar) {
        let (toc, ts) = (&l["toc"], &l["tarSplit"]);
        assert_eq!(l["reads"], 1);
        assert_eq!(
            l["bytesRead"].as_u64().unwrap(),
            toc["length"].as_u64().unwrap() + 8 + ts["length"].as_u64().unwrap()
        );
        assert_eq!(ts["tarSize"], tar);
        assert_eq!(ts["digestVerified"], true);
        assert_eq!(
            l["checks"]["toc_matches_tarsplit"]["state"], "pass",
            "{}",
            l["checks"]["toc_matches_tarsplit"]["detail"]
        );
    }
}

#[wasm_bindgen_test]
async fn files_lists_every_entry_with_chunks() {
    let r = inspect(
        url(LOG_URL, "LOG_URL"),
        "tiny-current",
        serde_json::json!({"files": true}),
    )
    .await
    .unwrap();
    let list = r["layers"][0]["fileList"].as_array().unwrap();
    assert_eq!(list.len(), 66, "66 tar members");
    assert_eq!(list.iter().filter(|f| f["type"] == "reg").count(), 44);
    let big = list.iter().find(|f| f["path"] == "/data/big.bin").unwrap();
    let chunks = big["chunks"].as_array().unwrap();
    assert_eq!(chunks.len(), 9);
    assert_eq!(chunks.iter().filter(|c| c["zeros"] == true).count(), 2);
    assert!(list.iter().any(|f| f["path"] == "/data/unicodé-日本-☃.txt"));
}

#[wasm_bindgen_test]
async fn layer_without_annotations_reads_footer_then_toc() {
    // tiny-legacy's layer blob, inspected by digest with no descriptor annotations.
    let (digest, size) = (
        "sha256:3d46c72a8669225a77b92ea0eee3460c0b35b5a420e567eea72276b42db36925",
        327_169u64,
    );
    let o = serde_json::json!({"registry": url(LOG_URL, "LOG_URL"), "repository": "tiny-legacy", "digest": digest, "size": size});
    let l = back(
        web::inspect_layer_js(obj(&o))
            .await
            .map_err(|e| format!("{e:?}"))
            .unwrap(),
    );
    assert!(l["error"].is_null(), "{}", l["error"]);
    assert_eq!(l["reads"], 2);
    assert_eq!(l["requests"], 2);
    assert_eq!(l["footer"]["variant"], "legacy-48");
    assert_eq!(
        l["requestLog"][0]["range"],
        format!("bytes={}-{}", size - 72, size - 1),
        "absolute footer range, never a suffix"
    );
    assert_eq!(l["entries"], 76);
    assert_eq!(l["partialPull"]["eligible"], false);
}

#[wasm_bindgen_test]
async fn a_server_that_ignores_range_is_stopped_at_the_first_response() {
    let r = inspect(
        url(RANGE0_URL, "RANGE0_URL"),
        "pair-b",
        serde_json::json!({}),
    )
    .await
    .unwrap();
    let meta = metadata_requests(&r);
    // One retry per layer (a first-200 registry answers the second try), then refused.
    assert_eq!(meta.len(), 4);
    for l in r["layers"].as_array().unwrap() {
        let err = &l["error"];
        assert_eq!(err["kind"], "range-ignored", "{err}");
        assert_eq!(err["status"], 200, "{err}");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("ignored the Range header"),
            "{err}"
        );
    }
    for req in meta {
        assert_eq!(req["status"], 200);
        assert_eq!(req["aborted"], true);
        assert!(req["bytes"].as_u64().unwrap() <= 64 * 1024, "{req}");
    }
    assert!(
        r["bytesFetched"].as_u64().unwrap() < 64 * 1024,
        "whole blobs are 5.4 MB; we read {}",
        r["bytesFetched"]
    );
}

/// `probeRange` on pair-b's layer 2 at `registry`, multi-range tried, with the ladder or not.
async fn probe(registry: &str, ladder: bool) -> Value {
    let o = serde_json::json!({"registry": registry, "repository": "pair-b", "multiRange": true,
        "ladder": ladder,
        "digest": "sha256:b43bea1d34eab10d09d3db596b4af8efb150a634f0d923e64e454cc5ba49fdee", "size": 3_598_126});
    back(
        web::probe_range_js(obj(&o))
            .await
            .map_err(|e| format!("{registry}: {e:?}"))
            .unwrap(),
    )
}

#[wasm_bindgen_test]
async fn probe_verdicts_for_distribution_and_an_s3_like_front() {
    let p = probe(url(REGISTRY_URL, "REGISTRY_URL"), false).await;
    assert_eq!(p["apiStatus"], 200);
    assert_eq!(p["verdict"], "partial-pulls-work", "{p}");
    assert_eq!(p["class"], "multipart", "{p}");
    assert_eq!(p["multiRange"]["kind"], "multipart");
    assert_eq!(p["singleRange"]["contentRangeExposed"], true);
    assert!(p["bytesFetched"].as_u64().unwrap() <= 8 * 1024 + 1024);

    let p = probe(url(RANGE1_URL, "RANGE1_URL"), false).await;
    assert_eq!(p["verdict"], "whole-layers", "{p}");
    assert_eq!(p["class"], "whole-body", "{p}");
    assert_eq!(p["multiRange"]["kind"], "whole-body");
    assert!(
        p["bytesFetched"].as_u64().unwrap() <= 8 * 1024 + 1024,
        "the 200 body was cancelled: {p}"
    );

    let p = probe(url(RANGE0_URL, "RANGE0_URL"), false).await;
    assert_eq!(p["verdict"], "whole-layers", "{p}");
    assert_eq!(p["class"], "no-range", "{p}");
    assert_eq!(p["singleRange"]["ok"], false);
}

#[wasm_bindgen_test]
async fn file_preview_is_decompressed_and_verified() {
    let r = inspect(
        url(LOG_URL, "LOG_URL"),
        "tiny-current",
        serde_json::json!({"files": true}),
    )
    .await
    .unwrap();
    let l = &r["layers"][0];
    let f = l["fileList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "/data/big.bin")
        .unwrap();
    let chunks = f["chunks"].as_array().unwrap();
    let start = chunks[0]["offset"].as_u64().unwrap();
    let last = chunks.last().unwrap();
    let end = last["offset"].as_u64().unwrap() + last["compressedLength"].as_u64().unwrap();
    let o = serde_json::json!({"registry": url(LOG_URL, "LOG_URL"), "repository": "tiny-current", "layerDigest": l["digest"],
        "offset": start, "length": end - start, "size": f["size"], "digest": f["digest"]});
    let out = web::read_file_js(obj(&o))
        .await
        .map_err(|e| format!("{e:?}"))
        .unwrap();
    let bytes: js_sys::Uint8Array = js_sys::Reflect::get(&out, &"bytes".into()).unwrap().into();
    assert_eq!(bytes.length(), 524_288);
    assert_eq!(
        js_sys::Reflect::get(&out, &"verified".into()).unwrap(),
        JsValue::TRUE
    );
    assert_eq!(
        js_sys::Reflect::get(&out, &"bytesFetched".into())
            .unwrap()
            .as_f64()
            .unwrap() as u64,
        end - start
    );

    // The same range with a wrong digest is refused.
    let mut bad = o.clone();
    bad["digest"] =
        "sha256:0000000000000000000000000000000000000000000000000000000000000000".into();
    let e = rejection(web::read_file_js(obj(&bad)).await.err().unwrap());
    assert_eq!(e["kind"], "verification", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("digest mismatch"),
        "{e}"
    );
}

#[wasm_bindgen_test]
// Missing at compile time is a failure of this test at run time, on purpose (like env!, but the
// other tests still run).
#[allow(clippy::option_env_unwrap)]
async fn same_report_as_the_cli() {
    let cli = option_env!("CHUNKSCOPE_CLI_REPORT")
        .expect("scripts/test.sh passes the CLI's report on pair-b");
    let mut cli: Value = serde_json::from_str(cli).unwrap();
    let mut web = inspect(url(LOG_URL, "LOG_URL"), "pair-b", serde_json::json!({}))
        .await
        .unwrap();
    // The only field allowed to differ: how the source was named (docker://… vs a URL).
    cli.as_object_mut().unwrap().remove("source");
    web.as_object_mut().unwrap().remove("source");
    assert_eq!(web, cli);
}

#[wasm_bindgen_test]
async fn errors_say_what_to_do() {
    // Nothing listens on port 9: the fetch fails as a missing CORS header would make it fail,
    // and the opaque no-cors look at /v2/ tells the two apart: a network error.
    let e = inspect("http://127.0.0.1:9", "pair-b", serde_json::json!({}))
        .await
        .unwrap_err();
    assert_eq!(e["kind"], "network", "{e}");
    assert_eq!(
        e["url"], "http://127.0.0.1:9/v2/pair-b/manifests/latest",
        "{e}"
    );
    let e = inspect(
        url(LOG_URL, "LOG_URL"),
        "no-such-repo",
        serde_json::json!({}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (&e["kind"], &e["status"]),
        (&"not-found".into(), &404.0.into()),
        "{e}"
    );
    let e = inspect(url(LOG_URL, "LOG_URL"), "Bad Repo", serde_json::json!({}))
        .await
        .unwrap_err();
    assert_eq!(e["kind"], "input", "{e}");
    assert!(e["message"].as_str().unwrap().contains("repository"), "{e}");
}

#[wasm_bindgen_test]
async fn tags_are_listed() {
    let o = serde_json::json!({"registry": url(LOG_URL, "LOG_URL"), "repository": "pair-b"});
    let mut tags: Vec<String> = serde_json::from_value(back(
        web::list_tags_js(obj(&o))
            .await
            .map_err(|e| format!("{e:?}"))
            .unwrap(),
    ))
    .unwrap();
    tags.sort();
    assert_eq!(tags, ["latest", "pair-b"]);
}

/// distribution with `auth: token` (realm: the test token issuer), and an nginx front before it
/// that answers CORS preflights itself; `scripts/registry.sh` with `AUTH_REGISTRIES=1`.
const AUTH_REGISTRY_URL: Option<&str> = option_env!("AUTH_REGISTRY_URL");
const AUTH_FRONT_URL: Option<&str> = option_env!("AUTH_FRONT_URL");
const TOKEN_ISSUER_URL: Option<&str> = option_env!("TOKEN_ISSUER_URL");

/// The token issuer's requests from this page (they carry an `Origin`), after the first `from`.
async fn issuer_log_from_browser(from: usize) -> (usize, Vec<Value>) {
    let url = format!("{}/log", url(TOKEN_ISSUER_URL, "TOKEN_ISSUER_URL"));
    let text = gloo_net::http::Request::get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let log: Vec<Value> = serde_json::from_str(&text).unwrap();
    let n = log.len();
    let mine = log
        .into_iter()
        .skip(from)
        .filter(|l| l["origin"] != "")
        .collect();
    (n, mine)
}

/// Cross-origin reality of a token-auth registry, seen from this page (another origin):
/// the anonymous GET is a simple request and gets its 401 with a readable challenge, the token
/// request to the realm succeeds, but the authorised retry needs a preflight, which
/// distribution answers 401 (auth runs before method dispatch, distribution#4458), so fetch
/// fails without an answer. The error must say why and what to do. With a front that answers
/// preflights the same image reads fine, anonymously or with a username and password.
#[wasm_bindgen_test]
async fn token_auth_registry_cross_origin() {
    let (n0, _) = issuer_log_from_browser(0).await;
    let e = inspect(
        url(AUTH_REGISTRY_URL, "AUTH_REGISTRY_URL"),
        "tiny-current",
        serde_json::json!({}),
    )
    .await
    .unwrap_err();
    let manifest = format!(
        "{}/v2/tiny-current/manifests/latest",
        url(AUTH_REGISTRY_URL, "AUTH_REGISTRY_URL")
    );
    assert_eq!(e["kind"], "cors", "{e}");
    assert_eq!(e["url"], manifest.as_str(), "{e}");
    assert_eq!(e["details"]["preflight"], true, "{e}");
    let m = e["message"].as_str().unwrap();
    for hint in ["preflight", "same-origin", "answers OPTIONS"] {
        assert!(m.contains(hint), "{hint:?} missing in: {e}");
    }
    // The 401 and the token request got through: exactly one anonymous token, for pull.
    let (n1, mine) = issuer_log_from_browser(n0).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["auth"], "none");
    assert_eq!(mine[0]["status"], 200);
    assert_eq!(
        mine[0]["granted"],
        serde_json::json!(["repository:tiny-current:pull"])
    );

    // A token supplied up front fails at the very first request, for the same reason.
    let e = inspect(
        url(AUTH_REGISTRY_URL, "AUTH_REGISTRY_URL"),
        "tiny-current",
        serde_json::json!({"token": "anything"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e["kind"], "cors", "{e}");
    assert_eq!(e["url"], manifest.as_str(), "{e}");
    let (n2, mine) = issuer_log_from_browser(n1).await;
    assert!(mine.is_empty(), "no token request: {mine:?}");

    // The front answers the preflights: the whole token dance works cross-origin.
    for creds in [
        serde_json::json!({}),
        serde_json::json!({"username": "tester", "password": "s3cret"}),
    ] {
        let r = inspect(
            url(AUTH_FRONT_URL, "AUTH_FRONT_URL"),
            "tiny-current",
            creds.clone(),
        )
        .await
        .unwrap();
        let log: Vec<(String, u64)> = r["requestLog"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| {
                (
                    q["purpose"].as_str().unwrap().into(),
                    q["status"].as_u64().unwrap(),
                )
            })
            .collect();
        let want: Vec<(String, u64)> = [
            ("manifest", 401),
            ("token", 200),
            ("manifest", 200),
            ("config", 200),
            ("metadata", 206),
        ]
        .iter()
        .map(|(p, s)| (p.to_string(), *s))
        .collect();
        assert_eq!(log, want, "{creds}");
        let l = &r["layers"][0];
        assert!(l["error"].is_null(), "{}", l["error"]);
        assert_eq!(l["toc"]["digestVerified"], true);
        assert_eq!(l["bytesRead"], l["toc"]["length"], "still exactly the TOC");
    }
    let (_, mine) = issuer_log_from_browser(n2).await;
    let auth: Vec<_> = mine
        .iter()
        .map(|l| (l["auth"].as_str().unwrap(), l["user"].as_str().unwrap()))
        .collect();
    assert_eq!(auth, [("none", ""), ("basic", "tester")]);
}

#[wasm_bindgen_test]
async fn plan_in_the_browser_matches_the_measured_podman_pull() {
    // Phase ii of the fixtures' measurements: podman 5.4.2 pulling pair-b with pair-a present.
    let reg = url(LOG_URL, "LOG_URL");
    web::forget_inspected_js();
    let o = serde_json::json!({"want": {"registry": reg, "repository": "pair-b"}, "have": [{"registry": reg, "repository": "pair-a"}]});
    let p = back(
        web::plan_pull_js(obj(&o))
            .await
            .map_err(|e| format!("{e:?}"))
            .unwrap(),
    );
    let (l1, l2) = (&p["layers"][0], &p["layers"][1]);
    assert_eq!(l1["reused"], true);
    assert_eq!(l1["requests"], 0);
    assert_eq!(l2["requests"], 2);
    assert_eq!(l2["ranges"], 78);
    assert_eq!(l2["fetchBytes"], 449_885, "what podman asked for");
    assert_eq!(
        l2["ignoresMultiRangeBytes"], 7_196_252,
        "what podman received behind max_ranges 1"
    );
    // Reading the plan's inputs cost one TOC read per layer of each image.
    assert_eq!(p["requests"], 2 * (2 + 2));
    // Planning again (other options) reads nothing: the page already holds both images' TOCs.
    let mut o2 = o.clone();
    o2["budget"] = 4.into();
    let p2 = back(
        web::plan_pull_js(obj(&o2))
            .await
            .map_err(|e| format!("{e:?}"))
            .unwrap(),
    );
    assert_eq!(
        (p2["requests"].as_u64(), p2["bytesFetched"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(p2["layers"][1]["fetchBytes"], 449_885);
    assert_eq!(p2["layers"][1]["singleRange"]["budget"], 4);
}

/// `inspectImage` of pair-b through the logging front with an `onProgress` callback: the report
/// and every progress event, in order.
async fn inspect_pair_b_with_progress() -> (Value, Vec<Value>) {
    let o = obj(&serde_json::json!({"registry": url(LOG_URL, "LOG_URL"), "repository": "pair-b"}));
    let events = js_sys::Array::new();
    let sink = events.clone();
    let cb = wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
        sink.push(&ev);
    });
    js_sys::Reflect::set(&o, &"onProgress".into(), cb.as_ref()).unwrap();
    let r = back(
        web::inspect_image_js(o)
            .await
            .map_err(|e| format!("{e:?}"))
            .unwrap(),
    );
    let events: Vec<Value> = events.iter().map(back).collect();
    (r, events)
}

#[wasm_bindgen_test]
async fn progress_is_reported_through_on_progress() {
    let (r, events) = inspect_pair_b_with_progress().await;
    assert!(
        events
            .iter()
            .any(|e| e["phase"] == "layer" && e["layer"] == 1),
        "{events:?}"
    );
    let last = events.last().unwrap();
    assert_eq!(last["phase"], "done");
    assert_eq!(last["bytesFetched"], r["bytesFetched"]);
    assert_eq!(last["requests"], r["requests"]);
}

// ---------------------------------------------------------------- behaviour classes
// The behaviour fronts (tests/registry/behaviour_front.py) before the real registry, one per
// class, and the S3 topology (distribution with the s3 driver, redirects on, over moto_server).

/// (URL, its env name, class, status, cap, verdict)
type Expected = (
    Option<&'static str>,
    &'static str,
    &'static str,
    Option<u16>,
    Option<u32>,
    &'static str,
);
const BEHAVIOUR: [Expected; 11] = [
    (
        option_env!("BEHAVIOUR_MULTIPART_URL"),
        "BEHAVIOUR_MULTIPART_URL",
        "multipart",
        None,
        None,
        "partial-pulls-work",
    ),
    (
        option_env!("BEHAVIOUR_WHOLE_BODY_URL"),
        "BEHAVIOUR_WHOLE_BODY_URL",
        "whole-body",
        None,
        None,
        "whole-layers",
    ),
    (
        option_env!("BEHAVIOUR_REJECTED_400_URL"),
        "BEHAVIOUR_REJECTED_400_URL",
        "rejected",
        Some(400),
        None,
        "full-pull-fallback",
    ),
    (
        option_env!("BEHAVIOUR_REJECTED_416_URL"),
        "BEHAVIOUR_REJECTED_416_URL",
        "rejected",
        Some(416),
        None,
        "pull-fails",
    ),
    (
        option_env!("BEHAVIOUR_REJECTED_416_PLAIN_URL"),
        "BEHAVIOUR_REJECTED_416_PLAIN_URL",
        "rejected",
        Some(416),
        None,
        "pull-fails",
    ),
    (
        option_env!("BEHAVIOUR_REJECTED_501_URL"),
        "BEHAVIOUR_REJECTED_501_URL",
        "rejected",
        Some(501),
        None,
        "pull-fails",
    ),
    (
        option_env!("BEHAVIOUR_RANGE_CAP_416_16_URL"),
        "BEHAVIOUR_RANGE_CAP_416_16_URL",
        "range-cap",
        Some(416),
        Some(16),
        "pull-fails",
    ),
    (
        option_env!("BEHAVIOUR_RANGE_CAP_400_64_URL"),
        "BEHAVIOUR_RANGE_CAP_400_64_URL",
        "range-cap",
        Some(400),
        Some(64),
        "partial-pulls-retry",
    ),
    (
        option_env!("BEHAVIOUR_FIRST_RANGE_ONLY_URL"),
        "BEHAVIOUR_FIRST_RANGE_ONLY_URL",
        "first-range-only",
        None,
        None,
        "pull-fails",
    ),
    (
        option_env!("BEHAVIOUR_NO_RANGE_URL"),
        "BEHAVIOUR_NO_RANGE_URL",
        "no-range",
        None,
        None,
        "whole-layers",
    ),
    (
        option_env!("BEHAVIOUR_FIRST_200_URL"),
        "BEHAVIOUR_FIRST_200_URL",
        "first-200",
        None,
        None,
        "whole-layers",
    ),
];
const S3_REGISTRY_URL: Option<&str> = option_env!("S3_REGISTRY_URL");
const S3_ENDPOINT_URL: Option<&str> = option_env!("S3_ENDPOINT_URL");

#[wasm_bindgen_test]
async fn probe_classifies_every_behaviour_class() {
    for (v, name, class, status, cap, verdict) in BEHAVIOUR {
        let base = url(v, name);
        if class == "first-200" {
            // the front answers a blob's first ranged GET with 200: start from a clean slate
            let r = gloo_net::http::Request::get(&format!("{base}/_behaviour/reset"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
        let p = probe(base, true).await;
        assert_eq!(p["class"], class, "{name}: {p}");
        assert_eq!(p["status"], serde_json::json!(status), "{name}: {p}");
        assert_eq!(p["cap"], serde_json::json!(cap), "{name}: {p}");
        assert_eq!(p["verdict"], verdict, "{name}: {p}");
        let bytes = p["bytesFetched"].as_u64().unwrap();
        assert!(bytes < 16 * 1024, "{name}: the probe read {bytes} bytes");
        if verdict != "partial-pulls-work" {
            assert!(!p["fix"].as_str().unwrap().is_empty(), "{name}: no fix");
        }
    }
}

#[wasm_bindgen_test]
async fn every_toc_is_read_with_one_single_range_through_the_fronts() {
    for (v, name, class, ..) in BEHAVIOUR {
        if class == "no-range" {
            continue; // refused (see a_server_that_ignores_range_is_stopped_at_the_first_response)
        }
        let r = inspect(url(v, name), "pair-a", serde_json::json!({}))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let layers = r["layers"].as_array().unwrap();
        assert!(layers.iter().all(|l| l["error"].is_null()), "{name}: {r}");
        let answered: Vec<&Value> = metadata_requests(&r)
            .into_iter()
            .filter(|q| q["status"] == 206)
            .collect();
        assert_eq!(answered.len(), layers.len(), "{name}: {r}");
        for q in metadata_requests(&r) {
            let range = q["range"].as_str().unwrap();
            assert!(
                range.starts_with("bytes=") && !range.contains(','),
                "{name}: {range}"
            );
        }
    }
}

#[wasm_bindgen_test]
async fn s3_topology_is_read_through_the_redirect_and_classified() {
    let reg = url(S3_REGISTRY_URL, "S3_REGISTRY_URL");
    let p = probe(reg, true).await;
    assert_eq!(p["class"], "whole-body", "{p}");
    assert_eq!(p["verdict"], "whole-layers", "{p}");
    assert_eq!(
        p["redirectedTo"],
        url(S3_ENDPOINT_URL, "S3_ENDPOINT_URL"),
        "{p}"
    );
    assert!(p["bytesFetched"].as_u64().unwrap() < 16 * 1024, "{p}");
    let fix = p["fix"].as_str().unwrap();
    assert!(
        fix.contains("disable: true") && !fix.contains("AllowedOrigins"),
        "{fix}"
    );
    let browser_fix = p["browserFix"].as_str().unwrap();
    assert!(browser_fix.contains("AllowedOrigins"), "{browser_fix}");

    let r = inspect(reg, "pair-b", serde_json::json!({})).await.unwrap();
    let layers = r["layers"].as_array().unwrap();
    assert!(layers.iter().all(|l| l["error"].is_null()), "{r}");
    let meta = metadata_requests(&r);
    assert_eq!(meta.len(), layers.len(), "{r}");
    assert!(meta.iter().all(|q| q["status"] == 206), "{r}");
}

#[wasm_bindgen_test]
async fn first_200_seen_by_the_toc_reads_is_named_by_the_later_probe() {
    let base = url(BEHAVIOUR[10].0, BEHAVIOUR[10].1);
    assert_eq!(BEHAVIOUR[10].2, "first-200");
    let r = gloo_net::http::Request::get(&format!("{base}/_behaviour/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The TOC reads meet the 200 first: each layer's request is cancelled and retried once.
    let r = inspect(base, "pair-b", serde_json::json!({}))
        .await
        .unwrap();
    let layers = r["layers"].as_array().unwrap();
    assert!(layers.iter().all(|l| l["error"].is_null()), "{r}");
    let meta = metadata_requests(&r);
    assert_eq!(meta.len(), 2 * layers.len(), "{r}");
    for pair in meta.chunks(2) {
        assert_eq!(pair[0]["status"], 200);
        assert_eq!(pair[0]["aborted"], true);
        assert!(pair[0]["bytes"].as_u64().unwrap() < 64 * 1024);
        assert_eq!(pair[1]["status"], 206);
        assert_eq!(pair[0]["range"], pair[1]["range"]);
    }
    // The probe comes too late to see it itself …
    let p = probe(base, true).await;
    assert_eq!(p["class"], "multipart", "{p}");
    // … unless told what the TOC reads saw.
    let o = serde_json::json!({"registry": base, "repository": "pair-b", "multiRange": true,
        "first200Seen": true,
        "digest": "sha256:b43bea1d34eab10d09d3db596b4af8efb150a634f0d923e64e454cc5ba49fdee", "size": 3_598_126});
    let p = back(web::probe_range_js(obj(&o)).await.unwrap());
    assert_eq!(p["class"], "first-200", "{p}");
    assert_eq!(p["verdict"], "whole-layers", "{p}");
    assert!(p["fix"].as_str().unwrap().contains("blobdescriptor"), "{p}");
}

/// The reference puller's verdict, in the browser, for the corner-case layers: what podman 5.4.2
/// did with them (tests/fixtures/README.md). corners-current's tar-split names three files that
/// are not UTF-8, which its TOC holds with U+FFFD: the pull fails.
#[wasm_bindgen_test]
async fn corners_verdicts_are_podmans() {
    let digest = "sha256:bc618df71d31d1ea951b274eb0a2fda7d6784223149231dbb8bcd2cb94392373";
    let r = inspect(
        url(LOG_URL, "LOG_URL"),
        "corners-current",
        serde_json::json!({"verifyTarSplit": true}),
    )
    .await
    .unwrap();
    let l = &r["layers"][0];
    let pp = &l["partialPull"];
    assert_eq!(pp["outcome"], "fails", "{pp}");
    assert_eq!(pp["code"], "toc-tar-split-mismatch");
    assert_eq!(pp["eligible"], false);
    assert_eq!(
        pp["error"],
        format!("partial pull of blob {digest}: read zstd:chunked manifest: tar-split and TOC data is inconsistent: tar-split contains an entry for \"corners/names/latin1-caf\\xe9-\\xff\\xfe-ustar\" missing in TOC")
    );
    let diffs = l["tocTarSplitDifferences"].as_array().unwrap();
    assert_eq!(diffs.len(), 3);
    assert!(diffs.iter().all(|d| d["kind"] == "missing-in-toc"));
    let kinds: Vec<&str> = l["pullHazards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "dir-mtime",
            "fifo-dropped",
            "device-dropped",
            "mtime-out-of-range",
            "selinux-xattr-dropped"
        ]
    );
    assert_eq!(l["reads"], 1, "TOC and tar-split in one range");

    // TOC only: the verdict does not claim what it did not check.
    let r = inspect(
        url(LOG_URL, "LOG_URL"),
        "corners-current",
        serde_json::json!({}),
    )
    .await
    .unwrap();
    assert_eq!(
        r["layers"][0]["partialPull"]["code"],
        "tar-split-not-checked"
    );

    let r = inspect(
        url(LOG_URL, "LOG_URL"),
        "corners-legacy",
        serde_json::json!({"verifyTarSplit": true}),
    )
    .await
    .unwrap();
    let pp = &r["layers"][0]["partialPull"];
    assert_eq!(pp["outcome"], "full-pull", "{pp}");
    assert_eq!(pp["code"], "legacy-annotations");
    assert_eq!(
        pp["error"],
        "Failed to retrieve partial blob: no TOC found and convert_images is not configured"
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile servers (tests/registry/hostile_server.py): the browser transport, stall limit 2 s.
// Each case a report or a typed rejection, within bounded time; the page keeps working after.

const HOSTILE_URL: Option<&str> = option_env!("HOSTILE_URL");

async fn hostile(case: &str) -> (Result<Value, Value>, f64) {
    let t = js_sys::Date::now();
    let r = inspect(
        url(HOSTILE_URL, "HOSTILE_URL"),
        case,
        serde_json::json!({"reference": "t", "stallTimeoutMs": 2000}),
    )
    .await;
    let secs = (js_sys::Date::now() - t) / 1000.0;
    assert!(secs < 11.0, "{case}: took {secs} s");
    (r, secs)
}

fn only_layer(r: &Value) -> &Value {
    let l = r["layers"].as_array().unwrap();
    assert_eq!(l.len(), 1, "{r}");
    &l[0]
}

#[wasm_bindgen_test]
async fn hostile_ranges() {
    let (r, _) = hostile("range-200").await;
    let r = r.unwrap();
    assert_eq!(only_layer(&r)["error"]["kind"], "range-ignored");
    assert!(r["bytesFetched"].as_u64().unwrap() < 64 * 1024);

    let (r, _) = hostile("range-short").await;
    let e = &only_layer(&r.unwrap())["error"].clone();
    assert_eq!(e["kind"], "format", "{e}");
    // The TOC-only range (3,468 bytes), half of it sent.
    assert_eq!(
        (e["needed"].as_u64(), e["got"].as_u64()),
        (Some(3468), Some(1734))
    );

    let (r, _) = hostile("range-long").await;
    let r = r.unwrap();
    assert_eq!(only_layer(&r)["partialPull"]["outcome"], "partial");
    assert_eq!(only_layer(&r)["bytesRead"], 3468);

    let (r, _) = hostile("range-other").await;
    let e = only_layer(&r.unwrap())["error"].clone();
    assert_eq!(
        (e["kind"].as_str(), e["status"].as_u64()),
        (Some("http-status"), Some(206))
    );

    let (r, _) = hostile("range-416").await;
    let e = only_layer(&r.unwrap())["error"].clone();
    assert_eq!(
        (e["kind"].as_str(), e["status"].as_u64()),
        (Some("http-status"), Some(416))
    );

    let e = hostile("range-503").await.0.unwrap_err();
    assert_eq!(e["kind"], "http-status");
    assert_eq!(e["status"], 503.0);
}

#[wasm_bindgen_test]
async fn hostile_stalls_time_out_and_the_page_goes_on() {
    let (r, secs) = hostile("stall-headers").await;
    let e = r.unwrap_err();
    assert_eq!(e["kind"], "network", "{e}");
    assert_eq!(e["details"]["stage"], "headers", "{e}");
    assert_eq!(e["details"]["seconds"], 2);
    assert!((2.0..6.0).contains(&secs), "{secs} s");
    assert_eq!(e["message"].as_str().unwrap().matches("stalled").count(), 1);

    let (r, secs) = hostile("stall-body").await;
    let l = only_layer(&r.unwrap()).clone();
    assert_eq!(l["error"]["kind"], "network", "{l}");
    assert_eq!(l["error"]["stage"], "body", "{l}");
    assert!((2.0..6.0).contains(&secs), "{secs} s");

    // Still usable: the same page inspects a good image right after.
    let (r, _) = hostile("good").await;
    assert_eq!(only_layer(&r.unwrap())["partialPull"]["outcome"], "partial");
}

#[wasm_bindgen_test]
async fn hostile_redirects() {
    // The browser follows redirects itself and says only "failed to fetch"; the origin answers,
    // so the error is `cors` (the browser cannot tell a loop from a refused redirect).
    for case in ["redirect-loop", "redirect-scheme"] {
        let e = hostile(case).await.0.unwrap_err();
        assert_eq!(e["kind"], "cors", "{case}: {e}");
        assert!(e["url"].as_str().unwrap().contains(case));
    }
}

#[wasm_bindgen_test]
async fn hostile_manifests_and_descriptors() {
    let e = hostile("manifest-huge").await.0.unwrap_err();
    assert_eq!(e["kind"], "limit", "{e}");
    assert_eq!(e["details"]["what"], "manifest");
    assert_eq!(e["details"]["size"], 100_000_000);

    let (r, _) = hostile("index-10000").await;
    let r = r.unwrap();
    assert_eq!(r["platform"], "linux/amd64");
    assert_eq!(only_layer(&r)["partialPull"]["outcome"], "partial");

    let (r, _) = hostile("size-tiny").await;
    assert_eq!(only_layer(&r.unwrap())["error"]["kind"], "format");
    for (case, kind) in [
        ("size-huge", "limit"),
        ("size-negative", "format"),
        ("size-2p53", "limit"),
    ] {
        let e = hostile(case).await.0.unwrap_err();
        assert_eq!(e["kind"], kind, "{case}: {e}");
    }
    let e = hostile("size-2p53").await.0.unwrap_err();
    assert_eq!(e["details"]["size"], 9_007_199_254_740_993u64 as f64);

    let (r, _) = hostile("toc-over-limit").await;
    let r = r.unwrap();
    let l = only_layer(&r);
    assert_eq!(l["error"], Value::Null);
    assert_eq!(l["partialPull"]["outcome"], "full-pull");
    assert_eq!(l["notRead"]["code"], "toc-over-limit");
    assert_eq!(r["requests"], 2);

    // A tar-split claimed over chunkscope's cap (podman has none), with verifyTarSplit: not
    // read and not an error; the TOC alone is fetched.
    let r = inspect(
        url(HOSTILE_URL, "HOSTILE_URL"),
        "tarsplit-over-limit",
        serde_json::json!({"reference": "t", "verifyTarSplit": true}),
    )
    .await
    .unwrap();
    let l = only_layer(&r);
    assert_eq!(l["error"], Value::Null, "{l}");
    assert_eq!(
        l["tarSplit"]["notRead"]["code"], "tar-split-over-limit",
        "{l}"
    );
    assert_eq!(l["tarSplit"]["notRead"]["what"], "tar-split (uncompressed)");
    assert_eq!(l["partialPull"]["code"], "tar-split-not-checked");
    assert_eq!(l["bytesRead"], l["toc"]["length"], "{l}");
}

/// A descriptor claiming a 120 MiB TOC, whose server announces all of it and sends 4 KiB: the
/// read fails as a broken body, and the body reserved for it is capped (32 MiB), so the page's
/// wasm memory (which never shrinks) does not grow by the claim.
#[wasm_bindgen_test]
async fn a_claimed_huge_toc_reserves_no_more_than_the_cap() {
    use wasm_bindgen::JsCast;
    let memory = || {
        wasm_bindgen::memory()
            .unchecked_into::<js_sys::WebAssembly::Memory>()
            .buffer()
            .unchecked_into::<js_sys::ArrayBuffer>()
            .byte_length()
    };
    let before = memory();
    let (r, _) = hostile("toc-claims-120mib").await;
    let r = r.unwrap();
    let l = only_layer(&r);
    assert_eq!(l["error"]["kind"], "network", "{l}");
    let grown = memory() - before;
    assert!(grown < 40 << 20, "wasm memory grew by {grown} bytes");
}

/// eStargz in the browser: the 51-byte footer, then the TOC member, each one absolute single
/// range through the logging front (scripts/test.sh checks the front's log: single ranges only);
/// the stargz-snapshotter zstd:chunked layer in one range from its TOC to the blob's end. Files
/// and chunks come through, a file preview decompresses gzip members, and the planner with the
/// insecure option reproduces podman's eStargz delta pull.
#[wasm_bindgen_test]
async fn estargz_layers_are_read_with_single_ranges() {
    let reg = url(LOG_URL, "LOG_URL");
    for (repo, reads) in [("estargz-small", 2), ("stargz-zstdchunked-small", 1)] {
        let r = inspect(reg, repo, serde_json::json!({"files": true}))
            .await
            .unwrap();
        let l = &r["layers"][0];
        assert!(l["error"].is_null(), "{repo}: {}", l["error"]);
        assert_eq!(l["reads"], reads, "{repo}");
        let size = l["size"].as_u64().unwrap();
        let toc = &l["toc"];
        let (o, n) = (
            toc["offset"].as_u64().unwrap(),
            toc["length"].as_u64().unwrap(),
        );
        let meta = metadata_requests(&r);
        let ranges: Vec<&str> = meta.iter().map(|m| m["range"].as_str().unwrap()).collect();
        if reads == 2 {
            assert_eq!(l["format"], "estargz");
            assert_eq!(
                ranges,
                [
                    format!("bytes={}-{}", size - 51, size - 1),
                    format!("bytes={}-{}", o, o + n - 1)
                ]
            );
            assert_eq!(l["bytesRead"].as_u64().unwrap(), 51 + n);
        } else {
            assert_eq!(l["format"], "stargz-zstdchunked");
            assert_eq!(ranges, [format!("bytes={}-{}", o, size - 1)]);
            assert_eq!(
                l["estargz"]["insecurePull"]["outcome"], "fails",
                "{}",
                l["estargz"]
            );
        }
        assert!(meta.iter().all(|m| m["status"] == 206));
        assert_eq!(l["entries"], 371);
        assert_eq!(l["chunks"], 196);
        assert_eq!(l["partialPull"]["code"], "estargz-refused");
        assert_eq!(l["estargz"]["landmark"], "no-prefetch");
        assert!(
            l["checks"]
                .as_object()
                .unwrap()
                .values()
                .all(|c| c["state"] == "pass"),
            "{repo}: {}",
            l["checks"]
        );
        // A multi-chunk file's preview: its chunks in one range, decompressed and verified.
        let f = l["fileList"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == "/data/medium.bin")
            .unwrap();
        let chunks = f["chunks"].as_array().unwrap();
        assert_eq!(chunks.len(), 3);
        let start = chunks[0]["offset"].as_u64().unwrap();
        let last = chunks.last().unwrap();
        let end = last["offset"].as_u64().unwrap() + last["compressedLength"].as_u64().unwrap();
        let o = serde_json::json!({"registry": reg, "repository": repo, "layerDigest": l["digest"],
            "layerSize": size, "offset": start, "length": end - start, "size": f["size"],
            "digest": f["digest"], "format": l["format"]});
        let out = web::read_file_js(obj(&o))
            .await
            .map_err(|e| format!("{e:?}"))
            .unwrap();
        let bytes: js_sys::Uint8Array = js_sys::Reflect::get(&out, &"bytes".into()).unwrap().into();
        assert_eq!(Some(bytes.length() as u64), f["size"].as_u64(), "{repo}");
        assert_eq!(
            js_sys::Reflect::get(&out, &"verified".into()).unwrap(),
            JsValue::TRUE,
            "{repo}"
        );
    }
    // The planner with the insecure option: podman's eStargz delta pull (pulls-estargz/e3f).
    web::forget_inspected_js();
    let o = serde_json::json!({"want": {"registry": reg, "repository": "estargz-pair-b"},
        "have": [{"registry": reg, "repository": "estargz-small"}],
        "insecureAllowUnpredictableImageContents": true});
    let p = back(
        web::plan_pull_js(obj(&o))
            .await
            .map_err(|e| format!("{e:?}"))
            .unwrap(),
    );
    let l = &p["layers"][0];
    assert_eq!(l["rangesPerRequest"], serde_json::json!([1, 1, 9]));
    assert_eq!(l["fetchBytes"], 51 + 11_800 + 570_679);
}

// ---------------------------------------------------------------- columnar file table

/// A typed-array column of a `fileTable` as f64s.
fn column(table: &JsValue, name: &str) -> Vec<f64> {
    let v = js_sys::Reflect::get(table, &JsValue::from_str(name)).unwrap();
    assert!(!v.is_undefined(), "fileTable.{name} is missing");
    js_sys::Float64Array::new(&v).to_vec()
}

fn bytes(table: &JsValue, name: &str) -> Vec<u8> {
    let v = js_sys::Reflect::get(table, &JsValue::from_str(name)).unwrap();
    js_sys::Uint8Array::new(&v).to_vec()
}

#[wasm_bindgen_test]
async fn file_table_is_the_file_list_as_columns() {
    let registry = url(REGISTRY_URL, "REGISTRY_URL");
    // corners-current has symlinks, hard links, devices, xattrs, zeros chunks, non-ASCII names
    for repo in ["tiny-current", "corners-current"] {
        let objects = inspect(registry, repo, serde_json::json!({"files": true}))
            .await
            .unwrap();
        let o = obj(
            &serde_json::json!({"registry": registry, "repository": repo, "reference": "latest", "fileTable": true}),
        );
        let columnar = web::inspect_image_js(o)
            .await
            .map_err(|e| format!("{e:?}"))
            .unwrap();
        let layers = js_sys::Reflect::get(&columnar, &"layers".into()).unwrap();
        for (li, layer) in objects["layers"].as_array().unwrap().iter().enumerate() {
            let js = js_sys::Reflect::get(&layers, &JsValue::from_f64(li as f64)).unwrap();
            assert!(
                js_sys::Reflect::get(&js, &"fileList".into())
                    .unwrap()
                    .is_undefined(),
                "no fileList beside the table"
            );
            let table = js_sys::Reflect::get(&js, &"fileTable".into()).unwrap();
            let Some(list) = layer["fileList"].as_array() else {
                assert!(
                    table.is_undefined(),
                    "{repo} layer {li}: a table without a list"
                );
                continue;
            };
            let count = js_sys::Reflect::get(&table, &"count".into())
                .unwrap()
                .as_f64()
                .unwrap() as usize;
            assert_eq!(count, list.len(), "{repo} layer {li}");
            let names = bytes(&table, "names");
            let name_ends = column(&table, "nameEnds");
            let name_ends16 = column(&table, "nameEnds16");
            let types = bytes(&table, "types");
            let (sizes, modes, uids, gids) = (
                column(&table, "sizes"),
                column(&table, "modes"),
                column(&table, "uids"),
                column(&table, "gids"),
            );
            let starts = column(&table, "chunkStarts");
            let offsets = column(&table, "chunkOffsets");
            let compressed = column(&table, "chunkCompressed");
            let uoffsets = column(&table, "chunkUncompressedOffsets");
            let ulengths = column(&table, "chunkUncompressedLengths");
            let zeros = bytes(&table, "chunkZeros");
            let extras = bytes(&table, "extras");
            let extra_ends = column(&table, "extraEnds");
            let text = String::from_utf8(names.clone()).unwrap();
            let text16: Vec<u16> = text.encode_utf16().collect();
            const TYPES: [&str; 7] = ["reg", "dir", "symlink", "hardlink", "char", "block", "fifo"];
            for (i, f) in list.iter().enumerate() {
                let at = |v: &[f64], i: usize| if i == 0 { 0 } else { v[i - 1] as usize };
                let path =
                    std::str::from_utf8(&names[at(&name_ends, i)..name_ends[i] as usize]).unwrap();
                assert_eq!(path, f["path"], "{repo} file {i}");
                let path16 =
                    String::from_utf16(&text16[at(&name_ends16, i)..name_ends16[i] as usize])
                        .unwrap();
                assert_eq!(path16, path, "UTF-16 ends of {path}");
                assert_eq!(TYPES[types[i] as usize], f["type"], "{path}");
                assert_eq!(sizes[i], f["size"].as_f64().unwrap(), "{path}");
                assert_eq!(modes[i], f["mode"].as_f64().unwrap(), "{path}");
                assert_eq!(uids[i], f["uid"].as_f64().unwrap(), "{path}");
                assert_eq!(gids[i], f["gid"].as_f64().unwrap(), "{path}");
                let extra: Value =
                    serde_json::from_slice(&extras[at(&extra_ends, i)..extra_ends[i] as usize])
                        .unwrap();
                for k in ["modtime", "linkName", "digest", "devMajor", "devMinor"] {
                    assert_eq!(extra.get(k).unwrap_or(&Value::Null), &f[k], "{path}: {k}");
                }
                let xattrs = extra
                    .get("xattrs")
                    .cloned()
                    .unwrap_or(serde_json::json!({}));
                assert_eq!(xattrs, f["xattrs"], "{path}: xattrs");
                let chunks = f["chunks"].as_array().unwrap();
                let (a, b) = (starts[i] as usize, starts[i + 1] as usize);
                assert_eq!(b - a, chunks.len(), "{path}: chunks");
                for (k, c) in chunks.iter().enumerate() {
                    let j = a + k;
                    assert_eq!(offsets[j], c["offset"].as_f64().unwrap(), "{path}");
                    assert_eq!(
                        compressed[j],
                        c["compressedLength"].as_f64().unwrap(),
                        "{path}"
                    );
                    assert_eq!(
                        uoffsets[j],
                        c["uncompressedOffset"].as_f64().unwrap(),
                        "{path}"
                    );
                    assert_eq!(
                        ulengths[j],
                        c["uncompressedLength"].as_f64().unwrap(),
                        "{path}"
                    );
                    assert_eq!(zeros[j] == 1, c["zeros"] == true, "{path}");
                    let digest = match extra.get("chunkDigests") {
                        Some(d) => d[k].clone(),
                        None => f["digest"].clone(),
                    };
                    assert_eq!(digest, c["digest"], "{path}: chunk {k} digest");
                }
            }
        }
        // the rest of the report is the same
        let mut rest = back(columnar);
        let mut want = objects.clone();
        for r in [&mut rest, &mut want] {
            for l in r["layers"].as_array_mut().unwrap() {
                let l = l.as_object_mut().unwrap();
                l.remove("fileList");
                l.remove("fileTable");
            }
            r.as_object_mut().unwrap().remove("requestLog");
        }
        assert_eq!(rest, want, "{repo}");
    }
}

#[wasm_bindgen_test]
async fn progress_says_each_layers_entries() {
    let (r, events) = inspect_pair_b_with_progress().await;
    let done: Vec<&Value> = events
        .iter()
        .filter(|e| e["phase"] == "layer-done")
        .collect();
    assert_eq!(
        done.len(),
        r["layers"].as_array().unwrap().len(),
        "{events:?}"
    );
    for (i, e) in done.iter().enumerate() {
        assert_eq!(e["layer"], i);
        assert_eq!(e["entries"], r["layers"][i]["entries"], "{e}");
        assert!(e["bytesFetched"].as_f64().unwrap() > 0.0);
    }
}
