//! The native CLI against registries that want credentials, started by `scripts/test.sh`
//! (`scripts/registry.sh` with `AUTH_REGISTRIES=1`):
//!
//! * `AUTH_REGISTRY_URL`: CNCF distribution with `auth: token`, whose realm is the test token
//!   issuer `tests/registry/token_issuer.py` (`TOKEN_REALM`; anonymous → pull, `tester:s3cret`
//!   → pull+push, anything else → 401; it logs every token request to `TOKEN_ISSUER_LOG`);
//! * `AUTH_FRONT_URL`: nginx before that registry, answering CORS preflights itself and logging
//!   each request's Authorization scheme (`AUTH_FRONT_ACCESS_LOG`);
//! * `BASIC_REGISTRY_URL`: distribution with `auth: htpasswd` (`tester:s3cret`).
//!
//! Proves: the anonymous Bearer dance (401 → token → retry, one token for the whole image),
//! `--user` (Basic only to the token service, only Bearer to the registry), a wrong password
//! (one clear line, exit 2, the password never printed), `--token` (no 401, no token request),
//! Basic auth, and the one fact the browser test builds on: distribution answers a CORS
//! preflight with 401 once auth is on. Without the environment these tests say so and pass.

mod core_support;

use core_support::assert_json_checks_pass;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The issuer's and the front's logs are shared: one scenario at a time.
static SERIAL: Mutex<()> = Mutex::new(());

struct Env {
    registry: String,
    auth: String,
    front: String,
    basic: String,
    realm: String,
    service: String,
    user: String,
    password: String,
    issuer_log: PathBuf,
    front_log: PathBuf,
    _serial: MutexGuard<'static, ()>,
}

fn env() -> Option<Env> {
    let get = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set"));
    // Without the registries these tests fail rather than pass: they prove behaviour against
    // real servers.
    assert!(
        std::env::var("AUTH_REGISTRY_URL").is_ok(),
        "AUTH_REGISTRY_URL is not set; run via scripts/test.sh, which starts the token-auth registry (AUTH_REGISTRIES=1)"
    );
    Some(Env {
        registry: get("REGISTRY_URL"),
        auth: get("AUTH_REGISTRY_URL"),
        front: get("AUTH_FRONT_URL"),
        basic: get("BASIC_REGISTRY_URL"),
        realm: get("TOKEN_REALM"),
        service: get("AUTH_SERVICE"),
        user: get("AUTH_USER"),
        password: get("AUTH_PASSWORD"),
        issuer_log: get("TOKEN_ISSUER_LOG").into(),
        front_log: get("AUTH_FRONT_ACCESS_LOG").into(),
        _serial: SERIAL.lock().unwrap_or_else(|e| e.into_inner()),
    })
}

struct Run {
    code: i32,
    json: Value,
    stderr: String,
}

fn cli(args: &[&str]) -> Run {
    let (code, json, stderr) = core_support::cli(args);
    Run { code, json, stderr }
}

fn docker(url: &str, image: &str) -> String {
    format!("docker://{}/{image}", url.trim_start_matches("http://"))
}

fn inspect(url: &str, image: &str, extra: &[&str]) -> Run {
    let src = docker(url, image);
    let mut args = vec!["inspect", "--json", "--insecure", src.as_str()];
    args.extend_from_slice(extra);
    cli(&args)
}

fn log_lines(path: &PathBuf) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The log lines written since `from` lines; waits (up to 3 s) for at least `want` of them,
/// because nginx logs a request only after its response went out.
fn new_lines(path: &PathBuf, from: usize, want: usize) -> Vec<Value> {
    let t0 = Instant::now();
    loop {
        let l = log_lines(path);
        if l.len() >= from + want || t0.elapsed() > Duration::from_secs(3) {
            return l.into_iter().skip(from).collect();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// (purpose, status) of every request the CLI made.
fn requests(r: &Value) -> Vec<(String, u64)> {
    r["requestLog"]
        .as_array()
        .unwrap_or_else(|| panic!("no requestLog in {r}"))
        .iter()
        .map(|q| {
            (
                q["purpose"].as_str().unwrap().to_string(),
                q["status"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn req(v: &[(&str, u64)]) -> Vec<(String, u64)> {
    v.iter().map(|(p, s)| (p.to_string(), *s)).collect()
}

/// A token for `scope` straight from the issuer, as another tool would get it (curl).
fn fetch_token(e: &Env, scope: &str) -> String {
    let url = format!("{}?service={}&scope={scope}", e.realm, e.service);
    let out = Command::new("curl").args(["-fsS", &url]).output().unwrap();
    assert!(out.status.success(), "curl {url}: {:?}", out);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["token"].as_str().unwrap().to_string()
}

#[test]
fn anonymous_token_dance_costs_one_401_and_one_token_request() {
    let Some(e) = env() else { return };
    for (repo, layers) in [("tiny-current", 1usize), ("pair-b", 2)] {
        let n = log_lines(&e.issuer_log).len();
        let r = inspect(&e.auth, &format!("{repo}:latest"), &[]);
        assert_eq!(r.code, 0, "{repo}: {}", r.stderr);
        assert_json_checks_pass(&r.json, repo);
        // 401, token, then the usual manifest + config + one range per layer, all with the
        // one token (cached per scope): 4 + layers requests.
        let mut want = req(&[
            ("manifest", 401),
            ("token", 200),
            ("manifest", 200),
            ("config", 200),
        ]);
        want.extend(std::iter::repeat_n(("metadata".to_string(), 206), layers));
        assert_eq!(requests(&r.json), want, "{repo}: {}", r.json["requestLog"]);
        assert_eq!(r.json["requests"], 4 + layers as u64);
        let token_url = r.json["requestLog"][1]["url"].as_str().unwrap();
        assert_eq!(
            token_url,
            format!(
                "{}?service={}&scope=repository%3A{repo}%3Apull",
                e.realm, e.service
            )
        );
        // The issuer saw exactly one request, anonymous, for pull on this repository.
        let got = new_lines(&e.issuer_log, n, 1);
        assert_eq!(got.len(), 1, "{repo}: {got:?}");
        assert_eq!(got[0]["auth"], "none", "no credentials and never the token");
        assert_eq!(got[0]["user"], "");
        assert_eq!(got[0]["status"], 200);
        let scope = format!("repository:{repo}:pull");
        assert_eq!(got[0]["scopes"], serde_json::json!([scope]));
        assert_eq!(got[0]["granted"], serde_json::json!([scope]));

        // Authentication changes how the bytes are fetched, not what is reported.
        let plain = inspect(&e.registry, &format!("{repo}:latest"), &[]);
        assert_eq!(plain.code, 0, "{}", plain.stderr);
        assert_eq!(r.json["layers"], plain.json["layers"], "{repo}");
        assert_eq!(r.json["manifestDigest"], plain.json["manifestDigest"]);
    }
}

#[test]
fn user_credentials_go_to_the_token_service_only() {
    let Some(e) = env() else { return };
    let creds = format!("{}:{}", e.user, e.password);
    for with_user in [true, false] {
        let (ni, nf) = (
            log_lines(&e.issuer_log).len(),
            log_lines(&e.front_log).len(),
        );
        let extra: &[&str] = if with_user { &["--user", &creds] } else { &[] };
        // Through the front that logs the Authorization scheme the registry receives.
        let r = inspect(&e.front, "tiny-current:latest", extra);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_json_checks_pass(&r.json, "tiny-current");
        assert_eq!(
            requests(&r.json),
            req(&[
                ("manifest", 401),
                ("token", 200),
                ("manifest", 200),
                ("config", 200),
                ("metadata", 206)
            ])
        );
        // Basic went to the token service only when --user was given; the token never did.
        let issued = new_lines(&e.issuer_log, ni, 1);
        assert_eq!(issued.len(), 1, "{issued:?}");
        let (auth, user) = if with_user {
            ("basic", e.user.as_str())
        } else {
            ("none", "")
        };
        assert_eq!(issued[0]["auth"], auth);
        assert_eq!(issued[0]["user"], user);
        // The token service grants what was asked: pull (push would be granted to tester).
        assert_eq!(
            issued[0]["granted"],
            serde_json::json!(["repository:tiny-current:pull"])
        );
        // The registry saw no credentials at first, then only the Bearer token, never Basic.
        let seen: Vec<String> = new_lines(&e.front_log, nf, 4)
            .iter()
            .map(|l| format!("{} {}", l["auth"].as_str().unwrap(), l["status"]))
            .collect();
        assert_eq!(seen, [" 401", "Bearer 200", "Bearer 200", "Bearer 206"]);
    }
}

#[test]
fn a_wrong_password_fails_with_one_clear_line() {
    let Some(e) = env() else { return };
    let n = log_lines(&e.issuer_log).len();
    let bad = format!("{}:not-the-password", e.user);
    let r = inspect(&e.auth, "tiny-current:latest", &["--user", &bad]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // No report on stdout: only the typed error.
    assert_eq!(r.json["error"]["kind"], "auth", "{}", r.json);
    assert!(r.json.get("layers").is_none());
    assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(&format!("chunkscope: {}?", e.realm))
            && r.stderr.contains(
                "HTTP 401: the token service rejected the username and password: check them"
            ),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("not-the-password"));
    let got = new_lines(&e.issuer_log, n, 1);
    assert_eq!(got.len(), 1, "no retry loop: {got:?}");
    assert_eq!(
        (got[0]["status"].as_u64(), got[0]["user"].as_str()),
        (Some(401), Some(e.user.as_str()))
    );

    // The same at the htpasswd registry, where the registry itself checks the password.
    let r = inspect(&e.basic, "tiny-current:latest", &["--user", &bad]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("HTTP 401: the registry rejected the username and password (Basic auth)"),
        "{}",
        r.stderr
    );
    // And without any credentials.
    let r = inspect(&e.basic, "tiny-current:latest", &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("HTTP 401: the registry wants a username and password (Basic auth)"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_pre_issued_token_is_used_without_any_dance() {
    let Some(e) = env() else { return };
    let token = fetch_token(&e, "repository:tiny-current:pull");
    let (ni, nf) = (
        log_lines(&e.issuer_log).len(),
        log_lines(&e.front_log).len(),
    );
    let r = inspect(&e.front, "tiny-current:latest", &["--token", &token]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_json_checks_pass(&r.json, "tiny-current");
    assert_eq!(
        requests(&r.json),
        req(&[("manifest", 200), ("config", 200), ("metadata", 206)])
    );
    let seen: Vec<_> = new_lines(&e.front_log, nf, 3)
        .iter()
        .map(|l| l["auth"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, ["Bearer"; 3]);
    assert!(
        new_lines(&e.issuer_log, ni, 0).is_empty(),
        "no token request"
    );

    // A token for another repository: refused, so the anonymous dance takes over.
    let other = fetch_token(&e, "repository:pair-b:pull");
    let r = inspect(&e.auth, "tiny-current:latest", &["--token", &other]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        requests(&r.json),
        req(&[
            ("manifest", 401),
            ("token", 200),
            ("manifest", 200),
            ("config", 200),
            ("metadata", 206)
        ])
    );
}

#[test]
fn basic_auth_registry_costs_one_401() {
    let Some(e) = env() else { return };
    let creds = format!("{}:{}", e.user, e.password);
    let r = inspect(&e.basic, "pair-b:latest", &["--user", &creds]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_json_checks_pass(&r.json, "pair-b");
    // 401, retry with Basic, then Basic up front for config and both layers.
    assert_eq!(
        requests(&r.json),
        req(&[
            ("manifest", 401),
            ("manifest", 200),
            ("config", 200),
            ("metadata", 206),
            ("metadata", 206)
        ])
    );
}

/// `curl -X OPTIONS` as a browser's preflight for an authorised GET: (status, headers).
fn preflight(url: &str) -> (u16, String) {
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-D",
            "-",
            "-X",
            "OPTIONS",
            "-H",
            "Origin: http://127.0.0.1:1",
            "-H",
            "Access-Control-Request-Method: GET",
            "-H",
            "Access-Control-Request-Headers: authorization",
            url,
        ])
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head)
}

#[test]
fn distribution_with_auth_answers_preflights_with_401() {
    let Some(e) = env() else { return };
    let path = "/v2/tiny-current/manifests/latest";
    // What breaks authorised requests from another origin in a browser (distribution#4458)...
    let (status, head) = preflight(&format!("{}{path}", e.auth));
    assert_eq!(status, 401, "{head}");
    assert!(head.contains("www-authenticate: bearer"), "{head}");
    // ...while the anonymous 401 itself is readable cross-origin, challenge included.
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-D",
            "-",
            "-H",
            "Origin: http://127.0.0.1:1",
        ])
        .arg(format!("{}{path}", e.auth))
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 401"), "{head}");
    assert!(head.contains("access-control-allow-origin: *"), "{head}");
    assert!(
        head.contains("access-control-expose-headers: www-authenticate"),
        "{head}"
    );
    // The front answers preflights; the issuer too (a token request with Basic is preflighted);
    // the anonymous registry answers them 200.
    let (status, head) = preflight(&format!("{}{path}", e.front));
    assert_eq!(status, 204, "{head}");
    assert!(
        head.contains("access-control-allow-headers: accept, range, authorization"),
        "{head}"
    );
    let (status, head) = preflight(&e.realm);
    assert_eq!(status, 204, "{head}");
    assert!(
        head.contains("access-control-allow-headers: authorization"),
        "{head}"
    );
    assert_eq!(preflight(&format!("{}{path}", e.registry)).0, 200);
}
