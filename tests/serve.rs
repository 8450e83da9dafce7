//! `chunkscope serve`: the same-origin registry gateway, against the real test registries that
//! `scripts/test.sh` starts (`scripts/registry.sh`, with `AUTH_REGISTRIES=1`):
//!
//! * `NOCORS_REGISTRY_URL`: CNCF distribution without any CORS header: what the gateway is for;
//! * `AUTH_REGISTRY_URL` + `TOKEN_REALM`: distribution with `auth: token`, its issuer on another
//!   port;
//! * a blob redirect to object storage, modelled by two small servers in this test: a registry
//!   front that answers blob requests with `307` to a "storage" server on another port, which
//!   records what it was sent.
//!
//! Each test starts `chunkscope serve --port 0` (on a small stub `www/` made here: the page itself
//! is driven in tests/e2e/serve.test.mjs) and talks to it with raw HTTP/1.1, so that it can send
//! what a browser never would (a foreign Host, POST bodies, multi-range). Without the registries'
//! environment the tests fail: run them through `scripts/test.sh`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PAIR_B_LAYER: &str =
    "sha256:fd9fd530c5618af1f11da2c9316369493bbdcd3359553e0617005923724b5820";
const PAIR_B_MANIFEST: &str =
    "sha256:c9477b77c55a308ca9fad2910504af2f32cd150896f2ca1b295f0501f7eea2e9";
const ACCEPT_OCI: &str =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

fn need(k: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| {
        panic!("{k} is not set: run these tests through scripts/test.sh (it starts the test registries)")
    })
}

/// `http://127.0.0.1:5075` → `127.0.0.1:5075`
fn host_of(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

fn fixture_blob(layout: &str, digest: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(layout)
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A stub of `www/`: enough for the server to start and serve a page (made once per run: the
/// tests run in parallel).
fn stub_www() -> PathBuf {
    static WWW: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    WWW.get_or_init(make_stub_www).clone()
}

fn make_stub_www() -> PathBuf {
    let d = std::env::temp_dir().join(format!("chunkscope-serve-www-{}", std::process::id()));
    std::fs::create_dir_all(d.join("pkg")).unwrap();
    std::fs::write(
        d.join("index.html"),
        "<!doctype html>\n<html>\n<head>\n  <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; connect-src *; object-src 'none'\">\n</head><body></body></html>\n",
    )
    .unwrap();
    std::fs::write(d.join("inspector.js"), "export {};\n").unwrap();
    std::fs::write(
        d.join("pkg/chunkscope.js"),
        "export default async function init() {}\n",
    )
    .unwrap();
    std::fs::write(d.join("pkg/chunkscope_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    d
}

struct Serve {
    child: Child,
    port: u16,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(extra: &[&str]) -> Serve {
    let www = stub_www();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chunkscope"))
        .args(["serve", "--port", "0", "--www"])
        .arg(&www)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("chunkscope serve: http://127.0.0.1:")
        .and_then(|r| r.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let stderr = Arc::new(Mutex::new(String::new()));
    let (mut err, log) = (child.stderr.take().unwrap(), stderr.clone());
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = err.read(&mut buf) {
            if n == 0 {
                break;
            }
            log.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    Serve {
        child,
        port,
        stderr,
    }
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Resp {
    fn h(&self, k: &str) -> Option<&str> {
        self.headers.get(k).map(String::as_str)
    }
}

/// One raw HTTP/1.1 request (`Connection: close`) to 127.0.0.1:port.
fn raw(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("Connection: close\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    parse_response(&all, method == "HEAD")
}

fn parse_response(all: &[u8], head: bool) -> Resp {
    let end = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let text = String::from_utf8_lossy(&all[..end]);
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = all[end + 4..].to_vec();
    if headers
        .get("transfer-encoding")
        .is_some_and(|t| t == "chunked")
    {
        body = dechunk(&body);
    } else if let (Some(n), false) = (headers.get("content-length"), head) {
        assert_eq!(
            body.len(),
            n.parse::<usize>().unwrap(),
            "body length = Content-Length"
        );
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let nl = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let n = usize::from_str_radix(std::str::from_utf8(&b[..nl]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[nl + 2..nl + 2 + n]);
        b = &b[nl + 2 + n + 2..];
    }
}

/// The same request straight to a registry (`http://HOST:PORT`).
fn direct(url: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    let h = host_of(url);
    let (host, port) = h.rsplit_once(':').unwrap();
    assert_eq!(host, "127.0.0.1");
    let mut hs: Vec<(&str, &str)> = vec![("Host", h.as_str())];
    hs.extend_from_slice(headers);
    raw(port.parse().unwrap(), "GET", path, &hs, b"")
}

#[test]
fn forwards_manifests_and_single_ranges_byte_for_byte() {
    let reg = need("NOCORS_REGISTRY_URL");
    let s = serve(&["--insecure"]);
    let gw = format!("/registry/http/{}", host_of(&reg));

    // the registry really sends no CORS headers
    let d = direct(&reg, "/v2/", &[("Origin", "http://example.invalid")]);
    assert_eq!(d.status, 200);
    assert!(
        d.headers.keys().all(|k| !k.starts_with("access-control-")),
        "{:?}",
        d.headers
    );
    let g = raw(s.port, "GET", &format!("{gw}/v2/"), &[], b"");
    assert_eq!(g.status, 200);

    let path = "/v2/pair-b/manifests/latest";
    let d = direct(&reg, path, &[("Accept", ACCEPT_OCI)]);
    let g = raw(
        s.port,
        "GET",
        &format!("{gw}{path}"),
        &[("Accept", ACCEPT_OCI)],
        b"",
    );
    assert_eq!((g.status, d.status), (200, 200));
    assert_eq!(g.body, d.body);
    assert_eq!(g.h("docker-content-digest"), Some(PAIR_B_MANIFEST));
    assert_eq!(g.h("content-type"), d.h("content-type"));
    assert_eq!(
        g.h("content-length"),
        Some(d.body.len().to_string().as_str())
    );
    assert_eq!(g.h("x-content-type-options"), Some("nosniff"));
    assert!(g
        .h("content-security-policy")
        .is_some_and(|c| c.contains("sandbox")));

    // a single absolute range of the blob: the same 206, the same bytes, the fixture's bytes
    let blob = fixture_blob("pair-b", PAIR_B_LAYER);
    let path = format!("/v2/pair-b/blobs/{PAIR_B_LAYER}");
    for (a, b) in [
        (0u64, 0u64),
        (1_739_389, 1_786_721),
        (blob.len() as u64 - 72, blob.len() as u64 - 1),
    ] {
        let range = format!("bytes={a}-{b}");
        let d = direct(&reg, &path, &[("Range", &range)]);
        let g = raw(
            s.port,
            "GET",
            &format!("{gw}{path}"),
            &[("Range", &range)],
            b"",
        );
        assert_eq!((g.status, d.status), (206, 206), "{range}");
        assert_eq!(g.body, d.body, "{range}");
        assert_eq!(g.body, blob[a as usize..=b as usize], "{range}");
        assert_eq!(g.h("content-range"), d.h("content-range"));
        assert_eq!(
            g.h("content-range"),
            Some(format!("bytes {a}-{b}/{}", blob.len()).as_str())
        );
        assert_eq!(
            g.h("content-length"),
            Some((b - a + 1).to_string().as_str())
        );
    }
    // HEAD: the head only, with the blob's length
    let g = raw(s.port, "HEAD", &format!("{gw}{path}"), &[], b"");
    assert_eq!(g.status, 200);
    assert_eq!(g.h("content-length"), Some(blob.len().to_string().as_str()));
    assert!(g.body.is_empty());
    // the registry's own errors pass through
    let g = raw(
        s.port,
        "GET",
        &format!("{gw}/v2/pair-b/manifests/no-such-tag"),
        &[("Accept", ACCEPT_OCI)],
        b"",
    );
    assert_eq!(g.status, 404);
    // tags, with its query
    let g = raw(
        s.port,
        "GET",
        &format!("{gw}/v2/pair-b/tags/list?n=100"),
        &[],
        b"",
    );
    assert_eq!(g.status, 200);
    assert!(String::from_utf8_lossy(&g.body).contains("\"latest\""));
}

#[test]
fn refuses_what_is_not_a_single_range_read_of_the_api() {
    let reg = need("NOCORS_REGISTRY_URL");
    let s = serve(&["--insecure"]);
    let gw = format!("/registry/http/{}", host_of(&reg));
    let blob = format!("{gw}/v2/pair-b/blobs/{PAIR_B_LAYER}");
    for range in [
        "bytes=0-99,200-299",
        "bytes=-72",
        "bytes=100-",
        "bytes=9-1",
        "bytes=0-1, 5-6",
    ] {
        let g = raw(s.port, "GET", &blob, &[("Range", range)], b"");
        assert_eq!(g.status, 400, "{range}");
        assert!(String::from_utf8_lossy(&g.body).contains("bytes=N-M"));
    }
    // a Range on a manifest is not what the page sends
    let g = raw(
        s.port,
        "GET",
        &format!("{gw}/v2/pair-b/manifests/latest"),
        &[("Range", "bytes=0-1")],
        b"",
    );
    assert_eq!(g.status, 400);
    for path in [
        format!("{gw}/v2/_catalog"),
        format!("{gw}/v2/pair-b/blobs/uploads/"),
        format!("{gw}/v2/pair-b/manifests/latest?x=1"),
        format!("{gw}/v2/pair-b/../../etc/passwd"),
        format!("{gw}/metrics"),
        "/registry/http/127.0.0.1:1@evil.example/v2/".to_string(),
        "/registry/gopher/127.0.0.1/v2/".to_string(),
        "/v2/".to_string(),
        "/../Cargo.toml".to_string(),
        "/%2e%2e/Cargo.toml".to_string(),
        "/realm/0?scope=x".to_string(),
        "/.git/config".to_string(),
    ] {
        let g = raw(s.port, "GET", &path, &[], b"");
        assert_eq!(g.status, 404, "{path}");
    }
    // methods and bodies
    let g = raw(
        s.port,
        "POST",
        &format!("{gw}/v2/pair-b/blobs/uploads/"),
        &[],
        b"x",
    );
    assert_eq!(g.status, 405);
    assert_eq!(g.h("allow"), Some("GET, HEAD"));
    for m in ["PUT", "DELETE", "PATCH", "OPTIONS"] {
        assert_eq!(
            raw(s.port, m, &format!("{gw}/v2/"), &[], b"").status,
            405,
            "{m}"
        );
    }
    assert_eq!(
        raw(s.port, "GET", &format!("{gw}/v2/"), &[], b"body").status,
        413
    );
    // DNS rebinding: a Host that is not this server's own
    for host in [
        "evil.example",
        "evil.example:80",
        &format!("127.0.0.2:{}", s.port),
        "127.0.0.1",
    ] {
        let g = raw(s.port, "GET", &format!("{gw}/v2/"), &[("Host", host)], b"");
        assert_eq!(g.status, 421, "{host}");
    }
    assert_eq!(
        raw(
            s.port,
            "GET",
            &format!("{gw}/v2/"),
            &[("Host", &format!("localhost:{}", s.port))],
            b""
        )
        .status,
        200
    );
    // another site's page can't use it (the browser says so in Sec-Fetch-Site)
    for site in ["cross-site", "same-site"] {
        let g = raw(
            s.port,
            "GET",
            &format!("{gw}/v2/"),
            &[("Sec-Fetch-Site", site)],
            b"",
        );
        assert_eq!(g.status, 403, "{site}");
    }
    assert_eq!(
        raw(
            s.port,
            "GET",
            &format!("{gw}/v2/"),
            &[("Sec-Fetch-Site", "same-origin")],
            b""
        )
        .status,
        200
    );
    let log = s.stderr.lock().unwrap().clone();
    assert!(log.contains("refused GET"), "{log}");

    // plain http only with --insecure; the page is served either way
    let strict = serve(&[]);
    let g = raw(strict.port, "GET", &format!("{gw}/v2/"), &[], b"");
    assert_eq!(g.status, 403);
    assert!(String::from_utf8_lossy(&g.body).contains("--insecure"));
    let page = raw(strict.port, "GET", "/", &[], b"");
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("<meta name=\"chunkscope-serve\" content=\"{&quot;gateway&quot;:&quot;/registry/&quot;,&quot;insecure&quot;:false}\">"), "{html}");
    assert_eq!(
        page.h("content-security-policy"),
        Some("default-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'")
    );
    assert_eq!(
        raw(strict.port, "GET", "/pkg/chunkscope_bg.wasm", &[], b"").h("content-type"),
        Some("application/wasm")
    );
}

#[test]
fn listens_on_loopback_only() {
    let s = serve(&[]);
    // this machine's address on its default route (no packet is sent by connecting UDP)
    let udp = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    udp.connect("192.0.2.1:9")
        .expect("a non-loopback route (a network interface) is needed for this test");
    let ip = udp.local_addr().unwrap().ip();
    assert!(!ip.is_loopback() && !ip.is_unspecified(), "{ip}");
    let r = TcpStream::connect_timeout(&(ip, s.port).into(), Duration::from_secs(3));
    assert!(r.is_err(), "chunkscope serve answered on {ip}:{}", s.port);
    assert_eq!(raw(s.port, "GET", "/", &[], b"").status, 200);
}

#[test]
fn token_auth_through_the_gateway_with_the_issuer_on_another_port() {
    let reg = need("AUTH_REGISTRY_URL");
    let realm = need("TOKEN_REALM");
    let service = need("AUTH_SERVICE");
    assert_ne!(
        host_of(&reg),
        host_of(realm.split("/token").next().unwrap())
    );
    let s = serve(&["--insecure"]);
    let gw = format!("/registry/http/{}", host_of(&reg));
    let path = format!("{gw}/v2/pair-b/manifests/latest");

    let g = raw(s.port, "GET", &path, &[("Accept", ACCEPT_OCI)], b"");
    assert_eq!(g.status, 401);
    let challenge = g
        .h("www-authenticate")
        .expect("the challenge passes through")
        .to_string();
    let own = format!("Bearer realm=\"http://127.0.0.1:{}/realm/0\"", s.port);
    assert!(challenge.starts_with(&own), "{challenge}");
    assert!(
        challenge.contains(&format!("service=\"{service}\"")),
        "{challenge}"
    );
    assert!(!challenge.contains(&realm), "{challenge}");

    // the token, through the gateway's realm path (scope and service pass through)
    let q = format!("service={service}&scope=repository%3Apair-b%3Apull");
    let t = raw(s.port, "GET", &format!("/realm/0?{q}"), &[], b"");
    assert_eq!(t.status, 200, "{}", String::from_utf8_lossy(&t.body));
    let token: serde_json::Value = serde_json::from_slice(&t.body).unwrap();
    let token = token["token"]
        .as_str()
        .or(token["access_token"].as_str())
        .unwrap()
        .to_string();
    // the issuer directly gives the same kind of answer
    let bearer = format!("Bearer {token}");
    let g = raw(
        s.port,
        "GET",
        &path,
        &[("Accept", ACCEPT_OCI), ("Authorization", &bearer)],
        b"",
    );
    assert_eq!(g.status, 200);
    assert_eq!(g.h("docker-content-digest"), Some(PAIR_B_MANIFEST));
    let blob = fixture_blob("pair-b", PAIR_B_LAYER);
    let g = raw(
        s.port,
        "GET",
        &format!("{gw}/v2/pair-b/blobs/{PAIR_B_LAYER}"),
        &[("Authorization", &bearer), ("Range", "bytes=1000-1999")],
        b"",
    );
    assert_eq!(g.status, 206);
    assert_eq!(g.body, blob[1000..2000]);
    // the realm is rewritten to the origin the page uses (localhost works as well as 127.0.0.1)
    let local = format!("localhost:{}", s.port);
    let g = raw(
        s.port,
        "GET",
        &path,
        &[("Accept", ACCEPT_OCI), ("Host", &local)],
        b"",
    );
    assert_eq!(g.status, 401);
    let c = g.h("www-authenticate").unwrap();
    assert!(
        c.starts_with(&format!("Bearer realm=\"http://{local}/realm/0\"")),
        "{c}"
    );
    // realms the registry did not name are not reachable
    assert_eq!(raw(s.port, "GET", "/realm/1?scope=x", &[], b"").status, 404);
    assert_eq!(raw(s.port, "GET", "/realm/x", &[], b"").status, 404);
}

/// Requests a small server received: (request line, lower-case headers).
type Seen = Arc<Mutex<Vec<(String, BTreeMap<String, String>)>>>;

/// A one-thread HTTP server on a free port: `answer` makes the whole response.
fn tiny_server(
    answer: impl Fn(&str, &BTreeMap<String, String>) -> Vec<u8> + Send + 'static,
) -> (u16, Seen) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut c) = conn else { continue };
            let mut r = BufReader::new(c.try_clone().unwrap());
            let mut line = String::new();
            if r.read_line(&mut line).is_err() {
                continue;
            }
            let mut h = BTreeMap::new();
            loop {
                let mut l = String::new();
                if r.read_line(&mut l).is_err() || l.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = l.split_once(':') {
                    h.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let out = answer(line.trim(), &h);
            log.lock().unwrap().push((line.trim().to_string(), h));
            let _ = c.write_all(&out);
        }
    });
    (port, seen)
}

#[test]
fn follows_blob_redirects_to_storage_without_credentials() {
    let blob = Arc::new(fixture_blob("pair-b", PAIR_B_LAYER));
    let size = blob.len();
    // "object storage": answers the presigned URL's single range, 206
    let data = blob.clone();
    let (storage, storage_seen) = tiny_server(move |line, h| {
        if !line.starts_with("GET /bucket/data?X-Amz-Signature=abc ") {
            return b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .to_vec();
        }
        let (a, b) = h["range"]
            .strip_prefix("bytes=")
            .unwrap()
            .split_once('-')
            .unwrap();
        let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
        let mut out = format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {a}-{b}/{}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
            data.len(),
            b - a + 1
        )
        .into_bytes();
        out.extend_from_slice(&data[a..=b]);
        out
    });
    // "the registry": redirects every blob GET to the storage, as S3-backed distribution does
    let (registry, registry_seen) = tiny_server(move |line, _| {
        if line.starts_with("GET /v2/pair-b/blobs/") {
            format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{storage}/bucket/data?X-Amz-Signature=abc\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").into_bytes()
        } else {
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
        }
    });
    let s = serve(&["--insecure"]);
    let path = format!("/registry/http/127.0.0.1:{registry}/v2/pair-b/blobs/{PAIR_B_LAYER}");
    let g = raw(
        s.port,
        "GET",
        &path,
        &[
            ("Range", "bytes=1739389-1786721"),
            ("Authorization", "Bearer secret-token"),
        ],
        b"",
    );
    assert_eq!(g.status, 206);
    assert_eq!(g.body, blob[1_739_389..=1_786_721]);
    assert_eq!(
        g.h("content-range"),
        Some(format!("bytes 1739389-1786721/{size}").as_str())
    );
    assert!(g.h("location").is_none());
    let reg = registry_seen.lock().unwrap();
    assert_eq!(reg.len(), 1);
    assert_eq!(
        reg[0].1.get("authorization").map(String::as_str),
        Some("Bearer secret-token")
    );
    let st = storage_seen.lock().unwrap();
    assert_eq!(st.len(), 1, "{st:?}");
    assert_eq!(
        st[0].1.get("range").map(String::as_str),
        Some("bytes=1739389-1786721")
    );
    assert!(
        !st[0].1.contains_key("authorization"),
        "credentials went to the storage: {:?}",
        st[0].1
    );
}

#[test]
fn says_how_to_build_the_page_and_when_the_port_is_taken() {
    // a www/ without the wasm module: no broken page, a line that says how to build it
    let d = std::env::temp_dir().join(format!("chunkscope-serve-nopkg-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("index.html"), "<!doctype html>").unwrap();
    std::fs::write(d.join("inspector.js"), "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_chunkscope"))
        .args(["serve", "--port", "0", "--www"])
        .arg(&d)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("pkg/chunkscope.js") && err.contains("npm run build"),
        "{err}"
    );
    // a port in use
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_chunkscope"))
        .args(["serve", "--port", &port, "--www"])
        .arg(stub_www())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--port 0"), "{err}");
    // unknown flags
    let out = Command::new(env!("CARGO_BIN_EXE_chunkscope"))
        .args(["serve", "--host", "0.0.0.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn http_framing_keep_alive_and_malformed_heads() {
    let s = serve(&[]);
    // two requests on one connection, answered in order with exact lengths
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let host = format!("127.0.0.1:{}", s.port);
    write!(c, "GET /inspector.js HTTP/1.1\r\nHost: {host}\r\n\r\nGET /nope HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut all = Vec::new();
    c.read_to_end(&mut all).unwrap();
    let text = String::from_utf8_lossy(&all);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("Content-Length: 11\r\n"));
    assert!(
        text.contains("export {};\nHTTP/1.1 404 Not Found\r\n"),
        "{text}"
    );
    // malformed or oversized heads: 400 and the connection closed
    for head in [
        "GARBAGE\r\n\r\n".to_string(),
        "GET http://evil.example/ HTTP/1.1\r\n\r\n".to_string(),
        "GET / HTTP/2.0\r\n\r\n".to_string(),
        format!(
            "GET / HTTP/1.1\r\nHost: {host}\r\nX: {}\r\n\r\n",
            "a".repeat(40 << 10)
        ),
    ] {
        let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = c.write_all(head.as_bytes());
        let mut all = Vec::new();
        let _ = c.read_to_end(&mut all);
        let text = String::from_utf8_lossy(&all);
        assert!(
            text.starts_with("HTTP/1.1 400 "),
            "{:?}: {text}",
            &head[..20.min(head.len())]
        );
    }
}
