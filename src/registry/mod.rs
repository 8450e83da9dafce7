//! Talking to an OCI distribution registry: one piece of logic, any HTTP transport.
//!
//! [`RegistryClient`] knows the protocol (manifest content negotiation with a CORS-safe
//! `Accept`, digest checks, the token dance, single-range blob reads, tag pagination, the range
//! probe) and keeps the request log. It does no IO itself: a [`Transport`] sends one request and
//! hands back the head and body. The browser transport wraps `fetch`, the native one `ureq`; both
//! call [`ranges::judge`] on the head of every ranged response so a server that ignores Range is
//! stopped before its body is read.

pub mod auth;
#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
pub mod native;
pub mod probe;
pub mod ranges;
pub mod reference;

pub use auth::Credentials;
pub use reference::ImageRef;

use crate::error::{Error, Result};
use crate::format::digest::Digest;
use crate::image::ImageSource;
use crate::inspect::report::RequestRecord;
use crate::inspect::ByteRange;
use crate::oci::{Descriptor, ACCEPT_DOCKER, ACCEPT_OCI, MAX_MANIFEST};
use auth::{parse_challenge, pull_scope, token_url, Challenge};
use probe::{classify_multi, MultiRange, MultiRangeKind, ProbeReport, SingleRange};
use reference::origin_of;
use std::collections::BTreeMap;

/// One GET request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// The single range asked for; the transport judges the head with [`ranges::judge`].
    pub range: Option<ByteRange>,
    /// A raw multi-range header (the probe only). The transport must cancel a 200 body.
    pub multi_range: Option<String>,
    /// Read at most this many body bytes; more is an error (or, for the probe, a cut).
    pub limit: u64,
}

/// What came back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names in lower case; only those the browser lets us read.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    /// The URL after redirects.
    pub final_url: String,
    /// The body was cancelled (a 200 to a ranged request, or over the limit).
    pub aborted: bool,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// Sends one request. Implementations follow redirects, judge ranged heads, cancel bodies that
/// must not be read, and never read more than `limit` body bytes.
#[allow(async_fn_in_trait)]
pub trait Transport {
    async fn send(&mut self, req: &HttpRequest) -> Result<HttpResponse>;
}

/// Progress callback: (phase, layer index, bytes fetched so far, requests so far).
pub type ProgressFn = Box<dyn FnMut(&str, Option<usize>, u64, usize)>;

/// A registry repository, reached through a transport.
pub struct RegistryClient<T> {
    transport: T,
    pub image: ImageRef,
    creds: Credentials,
    /// scope → Authorization value.
    tokens: BTreeMap<String, String>,
    log: Vec<RequestRecord>,
    progress: Option<ProgressFn>,
}

impl<T: Transport> RegistryClient<T> {
    pub fn new(transport: T, image: ImageRef, creds: Credentials) -> Self {
        RegistryClient {
            transport,
            image,
            creds,
            tokens: BTreeMap::new(),
            log: Vec::new(),
            progress: None,
        }
    }

    pub fn on_progress(&mut self, f: ProgressFn) {
        self.progress = Some(f);
    }

    pub fn log(&self) -> &[RequestRecord] {
        &self.log
    }

    pub fn bytes_fetched(&self) -> u64 {
        self.log.iter().map(|r| r.bytes).sum()
    }

    /// The Authorization value for a URL, only for the registry's own origin.
    fn authorization(&self, url: &str) -> Option<String> {
        if origin_of(url) != Some(self.image.base.as_str()) {
            return None;
        }
        if let Some(t) = self.tokens.get(&pull_scope(&self.image.repository)) {
            return Some(t.clone());
        }
        self.creds.token.as_ref().map(|t| format!("Bearer {t}"))
    }

    async fn send_logged(&mut self, req: HttpRequest, purpose: &str) -> Result<HttpResponse> {
        let range = req
            .range
            .map(|r| r.header_value())
            .or_else(|| req.multi_range.clone());
        let result = self.transport.send(&req).await;
        let (status, bytes, aborted) = match &result {
            Ok(r) => (r.status, r.body.len() as u64, r.aborted),
            Err(_) => (0, 0, false),
        };
        self.log.push(RequestRecord {
            url: req.url.clone(),
            range,
            status,
            bytes,
            purpose: purpose.to_string(),
            aborted,
        });
        result
    }

    /// GET with auth handling: on a 401, obtain a token (or use Basic) and retry once.
    async fn get(
        &mut self,
        url: &str,
        accept: Option<&str>,
        range: Option<ByteRange>,
        multi: Option<String>,
        limit: u64,
        purpose: &str,
    ) -> Result<HttpResponse> {
        let mut tried_auth = false;
        loop {
            let mut headers = Vec::new();
            if let Some(a) = accept {
                headers.push(("Accept".to_string(), a.to_string()));
            }
            if let Some(r) = range {
                headers.push(("Range".to_string(), r.header_value()));
            }
            if let Some(m) = &multi {
                headers.push(("Range".to_string(), m.clone()));
            }
            if let Some(a) = self.authorization(url) {
                headers.push(("Authorization".to_string(), a));
            }
            let req = HttpRequest {
                url: url.to_string(),
                headers,
                range,
                multi_range: multi.clone(),
                limit,
            };
            let resp = self.send_logged(req, purpose).await?;
            if let Some(p) = &mut self.progress {
                let bytes = self.log.iter().map(|r| r.bytes).sum();
                p(purpose, None, bytes, self.log.len());
            }
            if resp.status != 401 {
                return Ok(resp);
            }
            if tried_auth {
                return Err(self.refused(url));
            }
            // A 401 from wherever a redirect led (blob storage, a CDN) is not the registry asking
            // for credentials: never hand the user's credentials to another origin.
            if !resp.final_url.is_empty()
                && origin_of(&resp.final_url) != Some(self.image.base.as_str())
            {
                return Err(Error::Http {
                    url: resp.final_url.clone(),
                    status: 401,
                    message: "the storage this registry redirected to wants credentials; chunkscope sends credentials only to the registry itself".into(),
                });
            }
            tried_auth = true;
            self.authenticate(url, &resp).await?;
        }
    }

    /// The error for a 401 that persists after authenticating: say which credentials failed.
    fn refused(&self, url: &str) -> Error {
        let used = self.tokens.get(&pull_scope(&self.image.repository));
        let message = if used.is_some_and(|a| a.starts_with("Basic ")) {
            "the registry rejected the username and password (Basic auth): check them".into()
        } else if self.creds.username.is_some() {
            format!(
                "the registry refused the token issued for user {:?}: that account may not pull {}",
                self.creds.username.as_deref().unwrap_or(""),
                self.image.repository
            )
        } else if self.creds.token.is_some() {
            format!("the registry refused the supplied token, and the anonymous token from its token service too: {} needs other credentials", self.image.repository)
        } else {
            format!("the registry refused the anonymous token from its token service: {} needs credentials (a username and password, or a token)", self.image.repository)
        };
        Error::Http {
            url: url.to_string(),
            status: 401,
            message,
        }
    }

    async fn authenticate(&mut self, url: &str, resp: &HttpResponse) -> Result<()> {
        let scope = pull_scope(&self.image.repository);
        let challenge = resp
            .header("www-authenticate")
            .and_then(parse_challenge)
            .or_else(|| {
                self.creds.realm.clone().map(|realm| Challenge::Bearer {
                    realm,
                    service: self.creds.service.clone(),
                    scope: None,
                })
            });
        match challenge {
            Some(Challenge::Basic) => {
                let b = self.creds.basic_header().ok_or_else(|| Error::Http {
                    url: url.to_string(),
                    status: 401,
                    message: "the registry wants a username and password (Basic auth)".into(),
                })?;
                self.tokens.insert(scope, b);
                Ok(())
            }
            Some(Challenge::Bearer { realm, service, scope: challenge_scope }) => {
                let scope_str = challenge_scope.unwrap_or(scope.clone());
                if self.image.base.starts_with("https://") && !realm.starts_with("https://") {
                    return Err(Error::Http {
                        url: url.to_string(),
                        status: 401,
                        message: format!("the registry names a token service that is not https ({realm}); refusing to send credentials or ask for a token over plain http"),
                    });
                }
                let turl = token_url(&realm, service.as_deref(), &scope_str);
                let mut headers = Vec::new();
                // Credentials go only to the realm the registry named.
                if let Some(b) = self.creds.basic_header() {
                    headers.push(("Authorization".to_string(), b));
                }
                let req = HttpRequest { url: turl.clone(), headers, range: None, multi_range: None, limit: 1 << 20 };
                let r = self.send_logged(req, "token").await?;
                if r.status != 200 {
                    let message = match (r.status, self.creds.username.is_some()) {
                        (401 | 403, true) => "the token service rejected the username and password: check them",
                        (401 | 403, false) => "the token service refused anonymous access: this repository needs credentials (a username and password, or a token)",
                        (s, _) => return Err(ranges::status_error(&turl, s)),
                    };
                    return Err(Error::Http { url: turl, status: r.status, message: message.into() });
                }
                let token = auth::parse_token_response(&r.body)?;
                self.tokens.insert(scope, format!("Bearer {token}"));
                Ok(())
            }
            None => Err(Error::Http {
                url: url.to_string(),
                status: 401,
                message: "authentication required, but the WWW-Authenticate challenge is unreadable (the registry must list it in Access-Control-Expose-Headers) — set the token realm, or pass a token".into(),
            }),
        }
    }

    /// The manifest or index for `reference` (bytes and Content-Type). The OCI types are asked
    /// for first (a CORS-safe `Accept`); the Docker types only if that finds nothing.
    pub async fn manifest(&mut self, reference: &str) -> Result<(Vec<u8>, Option<String>)> {
        let url = self.image.manifest_url(reference);
        let mut resp = self
            .get(&url, Some(ACCEPT_OCI), None, None, MAX_MANIFEST, "manifest")
            .await?;
        if resp.status == 404 {
            resp = self
                .get(
                    &url,
                    Some(ACCEPT_DOCKER),
                    None,
                    None,
                    MAX_MANIFEST,
                    "manifest",
                )
                .await?;
        }
        if resp.status != 200 {
            return Err(ranges::status_error(&url, resp.status));
        }
        if resp.aborted {
            return Err(Error::TooLarge {
                what: "manifest".into(),
                size: resp.body.len() as u64,
                limit: MAX_MANIFEST,
            });
        }
        if reference.contains(':') {
            Digest::parse(reference)?.verify("manifest", &resp.body)?;
        } else if let Some(d) = resp.header("docker-content-digest") {
            if let Ok(d) = Digest::parse(d) {
                d.verify("manifest (Docker-Content-Digest)", &resp.body)?;
            }
        }
        let ct = resp.header("content-type").map(str::to_string);
        Ok((resp.body, ct))
    }

    /// A whole small blob (a config), digest-checked.
    pub async fn blob(&mut self, desc: &Descriptor, limit: u64, purpose: &str) -> Result<Vec<u8>> {
        if desc.size > limit {
            return Err(Error::TooLarge {
                what: format!("blob {}", desc.digest),
                size: desc.size,
                limit,
            });
        }
        let url = self.image.blob_url(&desc.digest);
        let resp = self.get(&url, None, None, None, limit, purpose).await?;
        if resp.status != 200 {
            return Err(ranges::status_error(&url, resp.status));
        }
        if resp.aborted {
            return Err(Error::TooLarge {
                what: format!("blob {}", desc.digest),
                size: resp.body.len() as u64,
                limit,
            });
        }
        desc.parsed_digest()?.verify(purpose, &resp.body)?;
        Ok(resp.body)
    }

    /// Exactly `range` of a blob, with one single-range request.
    pub async fn blob_range(
        &mut self,
        digest: &str,
        range: ByteRange,
        blob_size: Option<u64>,
        purpose: &str,
    ) -> Result<Vec<u8>> {
        let url = self.image.blob_url(digest);
        let resp = self
            .get(&url, None, Some(range), None, range.length, purpose)
            .await?;
        match resp.status {
            206 => {}
            200 => {
                return Err(Error::RangeIgnored {
                    url,
                    status: 200,
                    blob_size,
                })
            }
            416 => {
                return Err(Error::Http {
                    url,
                    status: 416,
                    message: format!(
                        "range {} not satisfiable: the blob is smaller than its descriptor says",
                        range.header_value()
                    ),
                })
            }
            s => return Err(ranges::status_error(&url, s)),
        }
        if resp.body.len() as u64 != range.length {
            return Err(Error::Truncated {
                what: "ranged response",
                needed: range.length,
                got: resp.body.len() as u64,
            });
        }
        Ok(resp.body)
    }

    /// `GET /v2/`: is this an OCI distribution registry, reachable from here? Returns the status
    /// (200, or 401 when it wants credentials, which the blob requests will then obtain).
    pub async fn ping(&mut self) -> Result<u16> {
        let url = format!("{}/v2/", self.image.base);
        let resp = self.get(&url, None, None, None, 64 << 10, "ping").await?;
        match resp.status {
            200 | 401 => Ok(resp.status),
            404 => Err(Error::Http {
                url,
                status: 404,
                message: "this server has no /v2/ API: it is not an OCI distribution registry (check the URL)".into(),
            }),
            s => Err(ranges::status_error(&url, s)),
        }
    }

    /// All tags of the repository, following pagination (`Link` when readable, else `last=`).
    pub async fn tags(&mut self) -> Result<Vec<String>> {
        #[derive(serde::Deserialize)]
        struct TagList {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        const PAGE: usize = 100;
        /// At most this many tags (a server that ignores `last` would otherwise loop).
        const MAX_TAGS: usize = 100_000;
        let mut out: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while out.len() < MAX_TAGS {
            let mut url = format!(
                "{}/v2/{}/tags/list?n={PAGE}",
                self.image.base, self.image.repository
            );
            if let Some(last) = out.last() {
                url.push_str(&format!("&last={}", auth::encode(last)));
            }
            let resp = self
                .get(&url, None, None, None, MAX_MANIFEST, "tags")
                .await?;
            if resp.status != 200 {
                return Err(ranges::status_error(&url, resp.status));
            }
            let page: TagList = serde_json::from_slice(&resp.body)
                .map_err(|e| Error::Oci(format!("tag list: {e}")))?;
            let page = page.tags.unwrap_or_default();
            let n = page.len();
            let before = out.len();
            out.extend(page.into_iter().filter(|t| seen.insert(t.clone())));
            let more = match resp.header("link") {
                Some(l) => l.contains("rel=\"next\""),
                None => n >= PAGE,
            };
            // Stop when the server says so, or when a page brought nothing new.
            if !more || out.len() == before {
                break;
            }
        }
        Ok(out)
    }

    /// Probes how the registry answers ranges on a blob. The multi-range request (sent only when
    /// `multi` is true) is the one place chunkscope sends a multi-range header; it reads at most
    /// 8 KiB and cancels a 200 at once.
    pub async fn probe(
        &mut self,
        digest: &str,
        size: Option<u64>,
        multi: bool,
    ) -> Result<ProbeReport> {
        let start = self.log.len();
        let api_status = self.ping().await?;
        let url = self.image.blob_url(digest);
        let len = size.map(|s| s.min(512)).unwrap_or(512).max(1);
        let r = ByteRange {
            offset: 0,
            length: len,
        };
        let resp = self
            .get(&url, None, Some(r), None, r.length, "probe")
            .await?;
        let single = SingleRange {
            status: resp.status,
            ok: resp.status == 206,
            content_range_exposed: resp.header("content-range").is_some(),
        };
        let blob_size = size.or_else(|| {
            resp.header("content-range")
                .and_then(ranges::parse_content_range)
                .and_then(|x| x.2)
        });
        let accept_ranges = resp.header("accept-ranges").map(str::to_string);
        let redirected_to = (origin_of(&resp.final_url) != origin_of(&url)
            && !resp.final_url.is_empty())
        .then(|| origin_of(&resp.final_url).unwrap_or_default().to_string());
        if !matches!(resp.status, 200 | 206) {
            return Err(ranges::status_error(&url, resp.status));
        }
        let multi_range = if multi && single.ok {
            let resp = self
                .get(
                    &url,
                    None,
                    None,
                    Some("bytes=0-99,200-299".into()),
                    8 << 10,
                    "probe",
                )
                .await?;
            MultiRange {
                status: Some(resp.status),
                kind: classify_multi(resp.status, resp.header("content-type")),
            }
        } else {
            MultiRange {
                status: None,
                kind: MultiRangeKind::NotTried,
            }
        };
        let (verdict, text, fix) = probe::verdict(&single, multi_range.kind, blob_size);
        let log = &self.log[start..];
        Ok(ProbeReport {
            api_status,
            blob: digest.to_string(),
            blob_size,
            single_range: single,
            multi_range,
            accept_ranges,
            redirected_to,
            verdict: verdict.into(),
            verdict_text: text,
            fix,
            bytes_fetched: log.iter().map(|r| r.bytes).sum(),
            requests: log.len(),
        })
    }
}

impl<T: Transport> ImageSource for RegistryClient<T> {
    async fn root_manifest(&mut self) -> Result<(Vec<u8>, Option<String>)> {
        let r = self.image.reference.clone();
        self.manifest(&r).await
    }

    async fn fetch(&mut self, desc: &Descriptor, limit: u64) -> Result<Vec<u8>> {
        self.blob(desc, limit, "config").await
    }

    async fn fetch_manifest(&mut self, desc: &Descriptor) -> Result<Vec<u8>> {
        Ok(self.manifest(&desc.digest).await?.0)
    }

    async fn read_range(&mut self, desc: &Descriptor, range: ByteRange) -> Result<Vec<u8>> {
        self.blob_range(&desc.digest, range, Some(desc.size), "metadata")
            .await
    }

    fn request_log(&self) -> Vec<RequestRecord> {
        self.log.clone()
    }

    fn progress(&mut self, phase: &str, layer: Option<usize>) {
        let (bytes, n) = (self.bytes_fetched(), self.log.len());
        if let Some(p) = &mut self.progress {
            p(phase, layer, bytes, n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::block_on;

    /// A registry at http://reg that wants Bearer tokens from http://auth/token (or, with
    /// `basic`, Basic credentials itself), granting anonymous pulls and `good` as the user.
    struct Mock {
        seen: Vec<(String, Option<String>)>,
        basic: bool,
        good: &'static str,
    }

    impl Transport for Mock {
        async fn send(&mut self, req: &HttpRequest) -> Result<HttpResponse> {
            let auth = req
                .headers
                .iter()
                .find(|(k, _)| k == "Authorization")
                .map(|(_, v)| v.clone());
            self.seen.push((req.url.clone(), auth.clone()));
            let good_basic = format!(
                "Basic {}",
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, self.good)
            );
            let mut r = HttpResponse {
                status: 200,
                final_url: req.url.clone(),
                ..Default::default()
            };
            if req.url.starts_with("http://auth/token?") {
                match auth.as_deref() {
                    None => r.body = br#"{"token":"anon"}"#.to_vec(),
                    Some(a) if a == good_basic => r.body = br#"{"access_token":"user"}"#.to_vec(),
                    Some(_) => r.status = 401,
                }
            } else {
                let ok = match auth.as_deref() {
                    Some(a) if self.basic => a == good_basic,
                    Some(a) => a == "Bearer anon" || a == "Bearer user",
                    None => false,
                };
                if ok {
                    r.body = b"{}".to_vec();
                    if let Some(range) = req.range {
                        r.status = 206;
                        r.body = vec![7; range.length as usize];
                    }
                } else {
                    r.status = 401;
                    let c = if self.basic {
                        r#"Basic realm="reg""#
                    } else {
                        r#"Bearer realm="http://auth/token",service="reg",scope="repository:a/b:pull""#
                    };
                    r.headers.insert("www-authenticate".into(), c.into());
                }
            }
            // Judge ranged heads exactly as the real transports do.
            if let Some(range) = req.range {
                if ranges::judge(&req.url, range, r.status, None, None)?
                    == ranges::RangeVerdict::Ignored
                {
                    r.aborted = true;
                    r.body.clear();
                }
            }
            Ok(r)
        }
    }

    #[test]
    fn a_ranged_first_request_still_authenticates() {
        // readFile and inspectLayer start with a ranged GET: its 401 must start the token dance.
        let mut c = client(false, None, None);
        let r = ByteRange {
            offset: 10,
            length: 4,
        };
        let body = block_on(c.blob_range(
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            r,
            None,
            "file",
        ))
        .unwrap();
        assert_eq!(body, [7; 4]);
        let urls: Vec<&str> = seen(&c).iter().map(|x| x.0).collect();
        assert_eq!(urls.len(), 3, "401, token, retry: {urls:?}");
        assert_eq!(urls[1], "http://auth/token");
    }

    #[test]
    fn no_token_dance_with_a_cleartext_realm_for_an_https_registry() {
        let mut c = client(false, Some("tester:s3cret"), None);
        c.image = ImageRef::new("https://reg", "a/b", "latest").unwrap();
        let e = block_on(c.manifest("latest")).unwrap_err().to_string();
        assert!(e.contains("not https"), "{e}");
        assert_eq!(seen(&c).len(), 1, "the password never left");
    }

    fn client(basic: bool, user: Option<&str>, token: Option<&str>) -> RegistryClient<Mock> {
        let (username, password) = match user.and_then(|u| u.split_once(':')) {
            Some((u, p)) => (Some(u.to_string()), Some(p.to_string())),
            None => (None, None),
        };
        let creds = Credentials {
            token: token.map(str::to_string),
            username,
            password,
            ..Default::default()
        };
        let image = ImageRef::new("http://reg", "a/b", "latest").unwrap();
        RegistryClient::new(
            Mock {
                seen: Vec::new(),
                basic,
                good: "tester:s3cret",
            },
            image,
            creds,
        )
    }

    fn seen(c: &RegistryClient<Mock>) -> Vec<(&str, Option<&str>)> {
        c.transport
            .seen
            .iter()
            .map(|(u, a)| (u.split('?').next().unwrap(), a.as_deref()))
            .collect()
    }

    const MANIFEST: &str = "http://reg/v2/a/b/manifests/latest";

    #[test]
    fn anonymous_token_dance_then_cached_token() {
        let mut c = client(false, None, None);
        block_on(c.manifest("latest")).unwrap();
        block_on(c.manifest("latest")).unwrap();
        assert_eq!(
            seen(&c),
            [
                (MANIFEST, None),
                ("http://auth/token", None),
                (MANIFEST, Some("Bearer anon")),
                (MANIFEST, Some("Bearer anon")),
            ]
        );
        assert!(c.transport.seen[1]
            .0
            .ends_with("?service=reg&scope=repository%3Aa%2Fb%3Apull"));
        let statuses: Vec<_> = c
            .log()
            .iter()
            .map(|r| (r.purpose.as_str(), r.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("manifest", 401),
                ("token", 200),
                ("manifest", 200),
                ("manifest", 200)
            ]
        );
        // The token belongs to the registry's origin only.
        assert_eq!(c.authorization("http://storage.example/blob"), None);
        assert_eq!(c.authorization("http://reg:8080/v2/"), None);
    }

    #[test]
    fn credentials_go_to_the_token_service_only() {
        let mut c = client(false, Some("tester:s3cret"), None);
        block_on(c.manifest("latest")).unwrap();
        let s = seen(&c);
        assert_eq!(s[1].0, "http://auth/token");
        assert!(s[1].1.unwrap().starts_with("Basic "));
        assert_eq!(s[2], (MANIFEST, Some("Bearer user")));
        assert!(s
            .iter()
            .filter(|(u, _)| u.starts_with("http://reg/"))
            .all(|(_, a)| !a.is_some_and(|a| a.starts_with("Basic"))));
    }

    #[test]
    fn refused_credentials_say_which() {
        let mut c = client(false, Some("tester:wrong"), None);
        let e = block_on(c.manifest("latest")).unwrap_err().to_string();
        assert!(
            e.starts_with("http://auth/token?")
                && e.contains("HTTP 401: the token service rejected the username and password"),
            "{e}"
        );
        assert_eq!(c.log().len(), 2);

        let mut c = client(true, Some("tester:wrong"), None);
        let e = block_on(c.manifest("latest")).unwrap_err().to_string();
        assert!(
            e.contains("the registry rejected the username and password (Basic auth)"),
            "{e}"
        );
        assert_eq!(seen(&c).len(), 2, "one retry, no loop");

        let mut c = client(true, None, None);
        let e = block_on(c.manifest("latest")).unwrap_err().to_string();
        assert!(e.contains("wants a username and password"), "{e}");
    }

    #[test]
    fn basic_registry_gets_credentials_after_its_challenge() {
        let mut c = client(true, Some("tester:s3cret"), None);
        block_on(c.manifest("latest")).unwrap();
        block_on(c.manifest("latest")).unwrap();
        let s = seen(&c);
        assert_eq!(s.len(), 3, "401, retry, then Basic up front: {s:?}");
        assert_eq!(s[0].1, None);
        assert!(s[1..].iter().all(|(_, a)| a.unwrap().starts_with("Basic ")));
    }

    #[test]
    fn supplied_token_is_used_up_front() {
        let mut c = client(false, None, Some("user"));
        block_on(c.manifest("latest")).unwrap();
        assert_eq!(seen(&c), [(MANIFEST, Some("Bearer user"))]);
        // A token the registry refuses: the anonymous dance takes over.
        let mut c = client(false, None, Some("stale"));
        block_on(c.manifest("latest")).unwrap();
        assert_eq!(
            seen(&c),
            [
                (MANIFEST, Some("Bearer stale")),
                ("http://auth/token", None),
                (MANIFEST, Some("Bearer anon"))
            ]
        );
    }
}
