//! `chunkscope serve`: the web inspector on 127.0.0.1, with a same-origin gateway to registries
//! that send no CORS headers.
//!
//! The page (`www/`, with the wasm module in `www/pkg/`) is served from `/`. Registry requests
//! go to `/registry/SCHEME/HOST[:PORT]/v2/…` (SCHEME `https`, or `http` with `--insecure`) and
//! are forwarded, GET and HEAD only, to the distribution API paths (`/v2/`, manifests, blobs,
//! tags/list) with only `Accept`, a single `Range: bytes=N-M` and `Authorization`; the answer is
//! streamed back unchanged (status, body, and the headers the page reads). Redirects (blobs in
//! object storage) are followed here, with `Authorization` only to the registry's own origin and
//! never to plain http without `--insecure`. A `WWW-Authenticate: Bearer`
//! challenge gets its realm rewritten to `/realm/N` on this server, which forwards to the realm
//! the registry named and to nothing else. No credentials are stored; nothing is written to disk.
//!
//! It is not an open proxy: it listens on 127.0.0.1 only, refuses non-loopback peers, a `Host`
//! that is not its own (DNS rebinding), cross-site requests (`Sec-Fetch-Site`), request bodies,
//! other methods and any other path; responses are capped in size and upstream reads time out.

use crate::args::{Arg, Parser};
use crate::http1::{self, Body, Request, Response};
use chunkscope::format::digest::Digest;
use chunkscope::registry::auth::{parse_challenge, Challenge};
use chunkscope::registry::reference::origin_of;
use chunkscope::{Error, Result};
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const USAGE: &str = "usage: chunkscope serve [--port P] [--open] [--insecure] [--www DIR]

Serves the web inspector on http://127.0.0.1:P/ (default port 8080; 0 = any free port) together
with a same-origin gateway to registries, so that the page can read registries that send no CORS
headers (Docker Hub, a default CNCF distribution). Type a plain registry name into the page
(registry.example.com, docker.io: https) or http://HOST:PORT (plain http, with --insecure); its
requests then go through this server.

  --port P      port on 127.0.0.1 (default 8080)
  --open        open the page in the default browser
  --insecure    allow plain-http registries and token services (https certificates are always checked)
  --www DIR     the inspector's files (default: the www/ folder this binary was built from;
                it needs www/pkg/, built with `npm run build`)

Only GET/HEAD of the distribution API (/v2/, manifests, blobs, tags/list) and the token service a
registry names in its challenge are forwarded; one `bytes=N-M` range at most; loopback clients only.";

/// Response body caps by kind of request.
const MAX_PING: u64 = 64 << 10;
const MAX_MANIFEST: u64 = chunkscope::oci::MAX_MANIFEST;
const MAX_TAGS: u64 = 16 << 20;
const MAX_TOKEN: u64 = 1 << 20;
/// Blob bodies: the TOC (150 MiB) plus the tar-split (1 GiB) read as one range, with room.
const MAX_BLOB: u64 = 1_500 << 20;
/// Request header values forwarded upstream are at most this long.
const MAX_HEADER: usize = 8 << 10;
/// Redirects followed (blob storage, usually one).
const MAX_REDIRECTS: usize = 5;
/// Token realms remembered (one per registry, normally).
const MAX_REALMS: usize = 64;

/// Why a request was refused; each maps to a status and a message in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotLoopback { peer: String },
    WrongHost { host: String },
    CrossSite { site: String },
    Method { method: String },
    Body,
    Path { path: String },
    PlainHttp { host: String },
    Range { value: String },
    Header { name: &'static str },
    UnknownRealm { index: String },
}

impl Refusal {
    fn status(&self) -> u16 {
        match self {
            Refusal::NotLoopback { .. } | Refusal::CrossSite { .. } | Refusal::PlainHttp { .. } => {
                403
            }
            Refusal::WrongHost { .. } => 421,
            Refusal::Method { .. } => 405,
            Refusal::Body => 413,
            Refusal::Path { .. } | Refusal::UnknownRealm { .. } => 404,
            Refusal::Range { .. } | Refusal::Header { .. } => 400,
        }
    }

    fn message(&self) -> String {
        match self {
            Refusal::NotLoopback { peer } => format!("{peer} is not a loopback client: chunkscope serve answers this machine only"),
            Refusal::WrongHost { host } => format!("Host {host:?} is not this server's own address (127.0.0.1:PORT or localhost:PORT)"),
            Refusal::CrossSite { site } => format!("cross-site request refused (Sec-Fetch-Site: {site}): only the page served here may use the gateway"),
            Refusal::Method { method } => format!("{method}: only GET and HEAD are served"),
            Refusal::Body => "requests with a body are refused".into(),
            Refusal::Path { path } => format!("{path:?} is not a page file nor a distribution API path (/registry/https|http/HOST[:PORT]/v2/…: /v2/, manifests, blobs, tags/list)"),
            Refusal::PlainHttp { host } => format!("{host}: plain http needs `chunkscope serve --insecure`"),
            Refusal::Range { value } => format!("Range {value:?}: only one absolute range, bytes=N-M, is forwarded"),
            Refusal::Header { name } => format!("{name} header too long"),
            Refusal::UnknownRealm { index } => format!("no token service {index:?} was named by a registry through this server"),
        }
    }
}

/// What `/registry/…` asks for; the body cap follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKind {
    Ping,
    Manifest,
    Blob,
    Tags,
}

impl ApiKind {
    fn cap(self) -> u64 {
        match self {
            ApiKind::Ping => MAX_PING,
            ApiKind::Manifest => MAX_MANIFEST,
            ApiKind::Blob => MAX_BLOB,
            ApiKind::Tags => MAX_TAGS,
        }
    }
}

/// A parsed gateway path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTarget {
    pub https: bool,
    /// `host[:port]`
    pub host: String,
    pub kind: ApiKind,
    /// The upstream URL.
    pub url: String,
}

/// `host` or `host:port`: DNS names and IPv4 addresses (letters, digits, `.`, `-`).
fn valid_host(h: &str) -> bool {
    let (name, port) = match h.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (h, None),
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n))
    });
    port_ok
        && !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

fn valid_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// A query string of plain characters (the tags list's `n` and `last`, a token request's
/// `service` and `scope`, percent-encoded).
fn valid_query(q: &str) -> bool {
    q.len() <= 2048
        && q.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%&=+:,/".contains(&b))
}

/// Parses `/registry/SCHEME/HOST[:PORT]/v2/REST[?QUERY]`; `insecure` allows `http`.
pub fn parse_api_path(
    path: &str,
    query: Option<&str>,
    insecure: bool,
) -> std::result::Result<ApiTarget, Refusal> {
    let refuse = || Refusal::Path {
        path: path.chars().take(200).collect(),
    };
    let rest = path.strip_prefix("/registry/").ok_or_else(refuse)?;
    let (scheme, rest) = rest.split_once('/').ok_or_else(refuse)?;
    let https = match scheme {
        "https" => true,
        "http" => false,
        _ => return Err(refuse()),
    };
    let (host, rest) = rest.split_once('/').ok_or_else(refuse)?;
    if !valid_host(host) {
        return Err(refuse());
    }
    let api = rest.strip_prefix("v2/").ok_or_else(refuse)?;
    let kind = if api.is_empty() {
        ApiKind::Ping
    } else if let Some(name) = api.strip_suffix("/tags/list") {
        if !chunkscope::registry::reference::is_valid_repository(name) {
            return Err(refuse());
        }
        ApiKind::Tags
    } else if let Some((name, reference)) = api.rsplit_once("/manifests/") {
        let ok = chunkscope::registry::reference::is_valid_repository(name)
            && if reference.contains(':') {
                Digest::parse(reference).is_ok()
            } else {
                valid_tag(reference)
            };
        if !ok {
            return Err(refuse());
        }
        ApiKind::Manifest
    } else if let Some((name, digest)) = api.rsplit_once("/blobs/") {
        if !chunkscope::registry::reference::is_valid_repository(name)
            || Digest::parse(digest).is_err()
        {
            return Err(refuse());
        }
        ApiKind::Blob
    } else {
        return Err(refuse());
    };
    match query {
        Some(q) if kind != ApiKind::Tags || !valid_query(q) => return Err(refuse()),
        _ => {}
    }
    if !https && !insecure {
        return Err(Refusal::PlainHttp {
            host: host.to_string(),
        });
    }
    let scheme = if https { "https" } else { "http" };
    let mut url = format!("{scheme}://{host}/v2/{api}");
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    Ok(ApiTarget {
        https,
        host: host.to_string(),
        kind,
        url,
    })
}

/// `bytes=N-M` with N ≤ M, and nothing else.
pub fn check_range(v: &str) -> std::result::Result<(), Refusal> {
    let bad = || Refusal::Range {
        value: v.chars().take(100).collect(),
    };
    let (a, b) = v
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .ok_or_else(bad)?;
    let num = |s: &str| {
        (!s.is_empty() && s.len() <= 20 && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (num(a), num(b)) {
        (Some(a), Some(b)) if a <= b => Ok(()),
        _ => Err(bad()),
    }
}

/// Is `host` (the request's Host header) this server's own address?
pub fn own_host(host: &str, port: u16) -> bool {
    host == format!("127.0.0.1:{port}") || host.eq_ignore_ascii_case(&format!("localhost:{port}"))
}

/// Is the peer on this machine?
pub fn loopback_peer(peer: Option<&SocketAddr>) -> bool {
    peer.is_some_and(|p| match p.ip() {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    })
}

/// Rewrites a Bearer challenge's realm to `new_realm`, keeping service and scope.
pub fn rewrite_challenge(v: &str, new_realm: &str) -> Option<(String, String)> {
    match parse_challenge(v)? {
        Challenge::Bearer {
            realm,
            service,
            scope,
        } => {
            let mut out = format!("Bearer realm=\"{new_realm}\"");
            if let Some(s) = service {
                out.push_str(&format!(",service=\"{s}\""));
            }
            if let Some(s) = scope {
                out.push_str(&format!(",scope=\"{s}\""));
            }
            Some((realm, out))
        }
        Challenge::Basic => None,
    }
}

struct Options {
    port: u16,
    open: bool,
    insecure: bool,
    www: PathBuf,
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut p = Parser::new(args, USAGE, "chunkscope serve --help");
    let mut o = Options {
        port: 8080,
        open: false,
        insecure: false,
        www: Path::new(env!("CARGO_MANIFEST_DIR")).join("www"),
    };
    while let Some(arg) = p.next_arg() {
        match arg {
            Arg::Flag("--open") => o.open = true,
            Arg::Flag("--insecure") => o.insecure = true,
            Arg::Flag("--port") => {
                let v = p.value("--port")?;
                o.port = v.parse().map_err(|_| p.usage(&format!("bad port {v:?}")))?;
            }
            Arg::Flag("--www") => o.www = PathBuf::from(p.value("--www")?),
            other => return Err(p.unexpected(other)),
        }
    }
    Ok(o)
}

/// A token realm a registry named through this server.
struct Realm {
    url: String,
}

struct Gateway {
    agent: ureq::Agent,
    insecure: bool,
    port: u16,
    www: PathBuf,
    realms: Mutex<Vec<Realm>>,
}

pub fn run(args: &[String]) -> Result<ExitCode> {
    let o = parse_args(args)?;
    let www = o.www.canonicalize().map_err(|e| {
        Error::Io(format!(
            "the inspector's folder {}: {e} (pass --www DIR)",
            o.www.display()
        ))
    })?;
    for f in [
        "index.html",
        "inspector.js",
        "pkg/chunkscope.js",
        "pkg/chunkscope_bg.wasm",
    ] {
        if !www.join(f).is_file() {
            return Err(Error::NotFound(format!(
                "{} has no {f}: build the wasm module first with `npm run build` (bash scripts/build.sh), or pass --www DIR",
                www.display()
            )));
        }
    }
    let listener = std::net::TcpListener::bind(("127.0.0.1", o.port)).map_err(|e| {
        Error::Io(format!(
            "cannot listen on 127.0.0.1:{}: {e} (try --port 0 for any free port)",
            o.port
        ))
    })?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::Io(e.to_string()))?
        .port();
    let agent = ureq::AgentBuilder::new()
        .redirects(0)
        .timeout_connect(Duration::from_secs(15))
        .timeout_read(Duration::from_secs(60))
        .timeout_write(Duration::from_secs(60))
        .user_agent(concat!(
            "chunkscope/",
            env!("CARGO_PKG_VERSION"),
            " (serve)"
        ))
        .build();
    let gw = Arc::new(Gateway {
        agent,
        insecure: o.insecure,
        port,
        www,
        realms: Mutex::new(Vec::new()),
    });
    let url = format!("http://127.0.0.1:{port}/");
    println!("chunkscope serve: {url}");
    println!(
        "  registry requests from the page go through this server (/registry/…); Ctrl-C stops it"
    );
    if o.insecure {
        println!("  --insecure: plain-http registries allowed");
    }
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    if o.open {
        open_browser(&url);
    }
    http1::serve(listener, move |req| gw.handle(req));
    Ok(ExitCode::SUCCESS)
}

fn open_browser(url: &str) {
    let cmd = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(cmd)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        eprintln!("chunkscope serve: could not open a browser ({cmd}: {e}); open {url} yourself");
    }
}

/// Headers every answer carries.
fn base_headers() -> Vec<(String, String)> {
    [
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn text(status: u16, body: String) -> Response {
    let mut headers = base_headers();
    headers.push(("Content-Type".into(), "text/plain; charset=utf-8".into()));
    Response {
        status,
        headers,
        body: Body::Bytes(format!("chunkscope serve: {body}\n").into_bytes()),
    }
}

/// A body reader that fails (cutting the connection) past `cap` bytes, so a response is never
/// silently shortened.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = buf
            .len()
            .min(usize::try_from(self.left.saturating_add(1)).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            return Err(std::io::Error::other(
                "response larger than chunkscope serve's cap",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

impl Gateway {
    fn handle(&self, req: &Request) -> Response {
        match self.route(req) {
            Ok(resp) => resp,
            Err(r) => {
                eprintln!(
                    "chunkscope serve: refused {} {}: {}",
                    clip(&req.method),
                    clip(&req.target),
                    r.message()
                );
                let mut resp = text(r.status(), r.message());
                if matches!(r, Refusal::Method { .. }) {
                    resp.headers.push(("Allow".into(), "GET, HEAD".into()));
                }
                resp
            }
        }
    }

    fn route(&self, req: &Request) -> std::result::Result<Response, Refusal> {
        if !loopback_peer(Some(&req.peer)) {
            return Err(Refusal::NotLoopback {
                peer: req.peer.to_string(),
            });
        }
        let host = req.header("host").unwrap_or("");
        if !own_host(host, self.port) {
            return Err(Refusal::WrongHost {
                host: host.chars().take(100).collect(),
            });
        }
        if let Some(site) = req.header("sec-fetch-site") {
            if !matches!(site, "same-origin" | "none") {
                return Err(Refusal::CrossSite {
                    site: site.chars().take(40).collect(),
                });
            }
        }
        let head = match req.method.as_str() {
            "GET" => false,
            "HEAD" => true,
            m => {
                return Err(Refusal::Method {
                    method: m.chars().take(20).collect(),
                })
            }
        };
        if req.has_body() {
            return Err(Refusal::Body);
        }
        let (path, query) = match req.target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (req.target.as_str(), None),
        };
        if path.starts_with("/registry/") {
            let t = parse_api_path(path, query, self.insecure)?;
            return self.forward(req, head, &t);
        }
        if let Some(index) = path.strip_prefix("/realm/") {
            return self.realm(req, head, index, query);
        }
        self.file(path)
    }

    /// Forwards one distribution API request and streams the answer back.
    fn forward(
        &self,
        req: &Request,
        head: bool,
        t: &ApiTarget,
    ) -> std::result::Result<Response, Refusal> {
        let mut headers: Vec<(&'static str, &str)> = Vec::new();
        if let Some(r) = req.header("range") {
            if t.kind != ApiKind::Blob {
                return Err(Refusal::Range {
                    value: r.chars().take(100).collect(),
                });
            }
            check_range(r)?;
            headers.push(("Range", r));
        }
        for name in ["Accept", "Authorization"] {
            if let Some(v) = req.header(name) {
                if v.len() > MAX_HEADER {
                    return Err(Refusal::Header { name });
                }
                headers.push((name, v));
            }
        }
        let resp = match self.upstream(head, &t.url, &headers) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("chunkscope serve: {}: {e}", t.url);
                return Ok(text(502, format!("{}: {e}", t.url)));
            }
        };
        let mut extra = Vec::new();
        if let Some(c) = resp.header("www-authenticate") {
            // the page's own origin (127.0.0.1:P or localhost:P, checked in `route`)
            let own = req.header("host").unwrap_or_default();
            let c = self.remember_realm(c, own).unwrap_or_else(|| c.to_string());
            extra.push(("WWW-Authenticate".to_string(), c));
        }
        Ok(self.stream(resp, t.kind.cap(), extra))
    }

    /// GET or HEAD `url`, following up to [`MAX_REDIRECTS`] redirects here: `Authorization` only
    /// to the first URL's origin, plain http only with `--insecure`. An HTTP error status is an
    /// answer too (passed through).
    fn upstream(
        &self,
        head: bool,
        url: &str,
        headers: &[(&'static str, &str)],
    ) -> std::result::Result<ureq::Response, String> {
        let first = origin_of(url).unwrap_or_default().to_string();
        let mut url = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let mut r = self.agent.request(if head { "HEAD" } else { "GET" }, &url);
            for (k, v) in headers {
                if *k != "Authorization" || origin_of(&url) == Some(first.as_str()) {
                    r = r.set(k, v);
                }
            }
            let resp = match r.call() {
                Ok(resp) | Err(ureq::Error::Status(_, resp)) => resp,
                Err(e) => return Err(e.to_string()),
            };
            if !matches!(resp.status(), 301 | 302 | 303 | 307 | 308) {
                return Ok(resp);
            }
            let loc = resp
                .header("location")
                .ok_or("a redirect without Location")?;
            let next = if loc.starts_with("https://") || loc.starts_with("http://") {
                loc.to_string()
            } else if loc.starts_with('/') && !loc.starts_with("//") {
                format!("{}{loc}", origin_of(&url).unwrap_or_default())
            } else {
                return Err(format!("a redirect to {loc:?} (not an absolute URL)"));
            };
            if next.starts_with("http://") && !self.insecure {
                return Err(format!(
                    "redirected to plain http ({}): allowed only with --insecure",
                    origin_of(&next).unwrap_or_default()
                ));
            }
            url = next;
        }
        Err(format!("more than {MAX_REDIRECTS} redirects"))
    }

    /// Records the Bearer realm of a challenge and returns the challenge pointing at this server.
    fn remember_realm(&self, challenge: &str, own_host: &str) -> Option<String> {
        let (realm, _) = rewrite_challenge(challenge, "")?;
        if !(realm.starts_with("https://") || realm.starts_with("http://")) || realm.len() > 2048 {
            return None;
        }
        let mut realms = self.realms.lock().ok()?;
        let index = match realms.iter().position(|r| r.url == realm) {
            Some(i) => i,
            None if realms.len() < MAX_REALMS => {
                realms.push(Realm { url: realm });
                realms.len() - 1
            }
            None => return None,
        };
        let own = format!("http://{own_host}/realm/{index}");
        rewrite_challenge(challenge, &own).map(|(_, c)| c)
    }

    /// `/realm/N?service=…&scope=…`: the token request, to the realm registry N named.
    fn realm(
        &self,
        req: &Request,
        head: bool,
        index: &str,
        query: Option<&str>,
    ) -> std::result::Result<Response, Refusal> {
        let unknown = || Refusal::UnknownRealm {
            index: index.chars().take(20).collect(),
        };
        let i: usize = index.parse().map_err(|_| unknown())?;
        let realm = {
            let realms = self.realms.lock().map_err(|_| unknown())?;
            realms.get(i).map(|r| r.url.clone()).ok_or_else(unknown)?
        };
        if realm.starts_with("http://") && !self.insecure {
            return Err(Refusal::PlainHttp {
                host: origin_of(&realm).unwrap_or(&realm).to_string(),
            });
        }
        let mut url = realm;
        if let Some(q) = query {
            if !valid_query(q) {
                return Err(Refusal::Path {
                    path: format!("/realm/{index}?…"),
                });
            }
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(q);
        }
        let mut headers: Vec<(&'static str, &str)> = Vec::new();
        if let Some(v) = req.header("authorization") {
            if v.len() > MAX_HEADER {
                return Err(Refusal::Header {
                    name: "Authorization",
                });
            }
            headers.push(("Authorization", v));
        }
        match self.upstream(head, &url, &headers) {
            Ok(resp) => Ok(self.stream(resp, MAX_TOKEN, Vec::new())),
            Err(e) => {
                eprintln!("chunkscope serve: token service: {e}");
                Ok(text(502, format!("token service: {e}")))
            }
        }
    }

    fn stream(&self, resp: ureq::Response, cap: u64, extra: Vec<(String, String)>) -> Response {
        let status = resp.status();
        let mut headers = base_headers();
        // A registry's answer must never run as a page of this origin if opened in a tab.
        headers.push((
            "Content-Security-Policy".into(),
            "default-src 'none'; sandbox".into(),
        ));
        for name in [
            "Content-Type",
            "Content-Range",
            "Docker-Content-Digest",
            "Accept-Ranges",
            "Link",
        ] {
            if let Some(v) = resp.header(name) {
                headers.push((name.to_string(), v.to_string()));
            }
        }
        headers.extend(extra);
        let len = resp
            .header("Content-Length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(l) = len.filter(|l| *l > cap) {
            return text(
                502,
                format!("the registry's answer ({l} bytes) is over the cap of {cap} bytes"),
            );
        }
        let body: Box<dyn Read + Send> = Box::new(Capped {
            inner: resp.into_reader(),
            left: cap,
        });
        Response {
            status,
            headers,
            body: Body::Stream(body, len),
        }
    }

    /// A file of the page.
    fn file(&self, path: &str) -> std::result::Result<Response, Refusal> {
        let refuse = || Refusal::Path {
            path: path.chars().take(200).collect(),
        };
        let rel = path.trim_start_matches('/');
        let rel = if rel.is_empty() { "index.html" } else { rel };
        if rel
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == ".." || s.starts_with('.'))
            || !rel
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b))
        {
            return Err(refuse());
        }
        let file = self.www.join(rel).canonicalize().map_err(|_| refuse())?;
        if !file.starts_with(&self.www) || !file.is_file() {
            return Err(refuse());
        }
        let mut body = std::fs::read(&file).map_err(|_| refuse())?;
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        let mut headers = base_headers();
        headers.push(("Content-Type".into(), mime(ext).into()));
        if ext == "html" {
            let page = String::from_utf8_lossy(&body).into_owned();
            let index = rel == "index.html";
            if let Some(csp) = page_csp(&page, index) {
                headers.push(("Content-Security-Policy".into(), csp));
            }
            if index {
                body = inject_meta(&page, self.insecure).into_bytes();
            }
        }
        Ok(Response {
            status: 200,
            headers,
            body: Body::Bytes(body),
        })
    }
}

fn clip(s: &str) -> String {
    s.chars().take(160).collect()
}

fn mime(ext: &str) -> &'static str {
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" | "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The page's Content-Security-Policy `<meta>` as a header (as scripts/serve.mjs sends it), with
/// `connect-src 'self'`: behind this server every request goes to the gateway. `index.html` also
/// gets `frame-ancestors 'none'`.
pub fn page_csp(html: &str, index: bool) -> Option<String> {
    let marker = "http-equiv=\"Content-Security-Policy\" content=\"";
    let start = html.find(marker)? + marker.len();
    let end = start + html[start..].find('"')?;
    let csp = html[start..end]
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    let mut parts: Vec<String> = csp
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.starts_with("connect-src") {
                "connect-src 'self'".to_string()
            } else {
                p.to_string()
            }
        })
        .collect();
    if index {
        parts.push("frame-ancestors 'none'".into());
    }
    Some(parts.join("; "))
}

/// `index.html` with `<meta name="chunkscope-serve" content="…">`: tells the page to route
/// registry requests through `/registry/`.
pub fn inject_meta(html: &str, insecure: bool) -> String {
    let meta = format!(
        "<meta name=\"chunkscope-serve\" content=\"{{&quot;gateway&quot;:&quot;/registry/&quot;,&quot;insecure&quot;:{insecure}}}\">"
    );
    match html.find("<head>") {
        Some(i) => format!("{}\n  {meta}{}", &html[..i + 6], &html[i + 6..]),
        None => html.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn api_paths() {
        let t = parse_api_path("/registry/https/reg.example:5000/v2/", None, false).unwrap();
        assert_eq!(
            (t.kind, t.url.as_str()),
            (ApiKind::Ping, "https://reg.example:5000/v2/")
        );
        let t = parse_api_path(
            &format!("/registry/https/r.io/v2/a/b/blobs/{D}"),
            None,
            false,
        )
        .unwrap();
        assert_eq!(t.kind, ApiKind::Blob);
        let t = parse_api_path(
            "/registry/http/127.0.0.1:5055/v2/pair-b/manifests/latest",
            None,
            true,
        )
        .unwrap();
        assert_eq!((t.kind, t.https), (ApiKind::Manifest, false));
        let t = parse_api_path(
            "/registry/https/r.io/v2/x/tags/list",
            Some("n=100&last=v1"),
            false,
        )
        .unwrap();
        assert_eq!(t.url, "https://r.io/v2/x/tags/list?n=100&last=v1");
        assert_eq!(
            parse_api_path("/registry/http/127.0.0.1:5055/v2/", None, false),
            Err(Refusal::PlainHttp {
                host: "127.0.0.1:5055".into()
            })
        );
        for bad in [
            "/registry/https/r.io/v2/_catalog",
            "/registry/https/r.io/v2/x/blobs/uploads/",
            "/registry/https/r.io/v2/x/manifests/../../y",
            "/registry/https/r.io/v2/X/manifests/latest",
            "/registry/https/r.io/v2/x/blobs/sha256:zz",
            "/registry/ftp/r.io/v2/",
            "/registry/https/user@r.io/v2/",
            "/registry/https/r.io:99999/v2/",
            "/registry/https/r.io/v3/",
            "/registry/https/r.io",
        ] {
            assert!(
                matches!(parse_api_path(bad, None, true), Err(Refusal::Path { .. })),
                "{bad}"
            );
        }
        assert!(parse_api_path(
            "/registry/https/r.io/v2/x/manifests/latest",
            Some("a=b"),
            true
        )
        .is_err());
    }

    #[test]
    fn ranges() {
        assert!(check_range("bytes=0-99").is_ok());
        for bad in [
            "bytes=0-99,200-299",
            "bytes=-500",
            "bytes=5-",
            "bytes=9-1",
            "items=0-1",
            "bytes= 0-1",
            "bytes=0-1 ",
        ] {
            assert!(check_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hosts_and_peers() {
        assert!(own_host("127.0.0.1:8080", 8080));
        assert!(own_host("localhost:8080", 8080));
        assert!(!own_host("evil.example:8080", 8080));
        assert!(!own_host("127.0.0.1:8081", 8080));
        assert!(!own_host("127.0.0.1", 8080));
        assert!(loopback_peer(Some(&"127.0.0.1:1".parse().unwrap())));
        assert!(loopback_peer(Some(&"[::1]:1".parse().unwrap())));
        assert!(!loopback_peer(Some(&"10.0.0.2:1".parse().unwrap())));
        assert!(!loopback_peer(None));
    }

    #[test]
    fn challenges() {
        let (realm, c) = rewrite_challenge(
            "Bearer realm=\"https://auth.example/token\",service=\"reg\",scope=\"repository:a:pull\"",
            "http://127.0.0.1:1/realm/0",
        )
        .unwrap();
        assert_eq!(realm, "https://auth.example/token");
        assert_eq!(c, "Bearer realm=\"http://127.0.0.1:1/realm/0\",service=\"reg\",scope=\"repository:a:pull\"");
        assert!(rewrite_challenge("Basic realm=\"x\"", "y").is_none());
    }

    #[test]
    fn page_headers() {
        let html = "<head>\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; connect-src *; object-src 'none'\">";
        assert_eq!(
            page_csp(html, true).unwrap(),
            "default-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'"
        );
        assert!(inject_meta(html, true).contains("<meta name=\"chunkscope-serve\" content=\"{&quot;gateway&quot;:&quot;/registry/&quot;,&quot;insecure&quot;:true}\">"));
    }
}
