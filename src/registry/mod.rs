//! Talking to an OCI distribution registry: one piece of logic, any HTTP transport.
//!
//! [`RegistryClient`] knows the protocol (manifest content negotiation with a CORS-safe
//! `Accept`, digest checks, the token dance, single-range blob reads, tag pagination, the range
//! probe) and keeps the request log. It does no IO itself: a [`Transport`] sends one request and
//! hands back the head and body. The browser transport wraps `fetch`, the native one `ureq`; both
//! call [`ranges::judge`] on the head of every ranged response so a server that ignores Range is
//! stopped before its body is read.

pub mod auth;
pub mod behaviour;
/// The browser transport (`fetch`), for any wasm crate that reads registries.
#[cfg(target_arch = "wasm32")]
pub mod fetch;
#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
pub mod native;
pub mod probe;
pub mod ranges;
pub mod reference;
pub mod refusal;

pub use auth::Credentials;
pub use reference::ImageRef;

use crate::error::{Error, RegistryCode, Result};
use crate::format::digest::Digest;
use crate::image::ImageSource;
use crate::oci::{Descriptor, ACCEPT_DOCKER, ACCEPT_OCI, MAX_MANIFEST};
use crate::range::ByteRange;
pub use crate::request_log::{ProgressPhase, RequestPurpose, RequestRecord};
use auth::{parse_challenge, pull_scope, token_url, Challenge};
use reference::within_registry;
use std::collections::BTreeMap;

/// One GET request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The absolute URL.
    pub url: String,
    /// Request headers (name, value), besides `Range`.
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
    /// The HTTP status.
    pub status: u16,
    /// Header names in lower case; only those the browser lets us read.
    pub headers: BTreeMap<String, String>,
    /// The body bytes read (at most the request's `limit`).
    pub body: Vec<u8>,
    /// The URL after redirects.
    pub final_url: String,
    /// The body was cancelled (a 200 to a ranged request, or over the limit).
    pub aborted: bool,
}

impl HttpResponse {
    /// A header's value; `name` must be lower case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// Sends one request. Implementations follow redirects, judge ranged heads, cancel bodies that
/// must not be read, and never read more than `limit` body bytes.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Sends `req` and returns the answer, or a typed network, CORS, time-out or range error.
    async fn send(&mut self, req: &HttpRequest) -> Result<HttpResponse>;
}

/// Progress callback: (phase, layer index, bytes fetched so far, requests so far).
pub type ProgressFn = Box<dyn FnMut(ProgressPhase, Option<usize>, u64, usize)>;
/// `(layer index, TOC entries)`, after each layer of an image is inspected.
pub type LayerDoneFn = Box<dyn FnMut(usize, usize)>;

/// A registry repository, reached through a transport.
pub struct RegistryClient<T> {
    transport: T,
    /// The repository this client reads.
    pub image: ImageRef,
    creds: Credentials,
    /// scope → Authorization value.
    tokens: BTreeMap<String, String>,
    log: Vec<RequestRecord>,
    progress: Option<ProgressFn>,
    layer_done: Option<LayerDoneFn>,
}

impl<T: Transport> RegistryClient<T> {
    /// A client for `image`'s repository that sends through `transport` with `creds`.
    pub fn new(transport: T, image: ImageRef, creds: Credentials) -> Self {
        RegistryClient {
            transport,
            image,
            creds,
            tokens: BTreeMap::new(),
            log: Vec::new(),
            progress: None,
            layer_done: None,
        }
    }

    /// Calls `f` after every request (for progress bars).
    pub fn on_progress(&mut self, f: ProgressFn) {
        self.progress = Some(f);
    }

    /// Called after each layer of an image is inspected, with its index and TOC entry count
    /// (coarse progress in entries).
    pub fn on_layer_inspected(&mut self, f: LayerDoneFn) {
        self.layer_done = Some(f);
    }

    /// The transport (e.g. to hook the browser transport's body progress).
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Every request sent so far, in order.
    pub fn log(&self) -> &[RequestRecord] {
        &self.log
    }

    /// Body bytes received over every request so far.
    pub fn bytes_fetched(&self) -> u64 {
        self.log.iter().map(|r| r.bytes).sum()
    }

    /// The Authorization value for a URL, only for the registry's own origin.
    fn authorization(&self, url: &str) -> Option<String> {
        if !within_registry(url, &self.image.base) {
            return None;
        }
        if let Some(t) = self.tokens.get(&pull_scope(&self.image.repository)) {
            return Some(t.clone());
        }
        self.creds.token.as_ref().map(|t| format!("Bearer {t}"))
    }

    async fn send_logged(
        &mut self,
        req: HttpRequest,
        purpose: RequestPurpose,
    ) -> Result<HttpResponse> {
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
            purpose,
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
        purpose: RequestPurpose,
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
                p(purpose.into(), None, bytes, self.log.len());
            }
            if resp.status != 401 {
                return Ok(resp);
            }
            if tried_auth {
                return Err(self.refused(url));
            }
            // A 401 from wherever a redirect led (blob storage, a CDN) is not the registry asking
            // for credentials: never hand the user's credentials to another origin.
            if !resp.final_url.is_empty() && !within_registry(&resp.final_url, &self.image.base) {
                return Err(Error::Http {
                    url: resp.final_url.clone(),
                    status: 401,
                    message: "the storage this registry redirected to wants credentials; chunkscope sends credentials only to the registry itself".into(), code: None });
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
            code: None,
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
                    message: "the registry wants a username and password (Basic auth)".into(), code: None })?;
                self.tokens.insert(scope, b);
                Ok(())
            }
            Some(Challenge::Bearer { realm, service, scope: challenge_scope }) => {
                let scope_str = challenge_scope.unwrap_or(scope.clone());
                if self.image.base.starts_with("https://") && !realm.starts_with("https://") {
                    return Err(Error::Http {
                        url: url.to_string(),
                        status: 401,
                        message: format!("the registry names a token service that is not https ({realm}); refusing to send credentials or ask for a token over plain http"), code: None });
                }
                let turl = token_url(&realm, service.as_deref(), &scope_str);
                let mut headers = Vec::new();
                // Credentials go only to the realm the registry named.
                if let Some(b) = self.creds.basic_header() {
                    headers.push(("Authorization".to_string(), b));
                }
                let req = HttpRequest { url: turl.clone(), headers, range: None, multi_range: None, limit: 1 << 20 };
                let r = self.send_logged(req, RequestPurpose::Token).await?;
                if r.status != 200 {
                    let message = match (r.status, self.creds.username.is_some()) {
                        (401 | 403, true) => "the token service rejected the username and password: check them",
                        (401 | 403, false) => "the token service refused anonymous access: this repository needs credentials (a username and password, or a token)",
                        (s, _) => return Err(ranges::status_error(&turl, s)),
                    };
                    return Err(Error::Http { url: turl, status: r.status, message: message.into(), code: None });
                }
                let token = auth::parse_token_response(&r.body)?;
                self.tokens.insert(scope, format!("Bearer {token}"));
                Ok(())
            }
            None => Err(Error::Http {
                url: url.to_string(),
                status: 401,
                message: "authentication required, but the WWW-Authenticate challenge is unreadable (the registry must list it in Access-Control-Expose-Headers) — set the token realm, or pass a token".into(), code: None }),
        }
    }

    /// The manifest or index for `reference` (bytes and Content-Type). The OCI types are asked
    /// for first (a CORS-safe `Accept`); the Docker types only if that finds nothing.
    pub async fn manifest(&mut self, reference: &str) -> Result<(Vec<u8>, Option<String>)> {
        let url = self.image.manifest_url(reference);
        let mut resp = self
            .get(
                &url,
                Some(ACCEPT_OCI),
                None,
                None,
                MAX_MANIFEST,
                RequestPurpose::Manifest,
            )
            .await?;
        if resp.status == 404 {
            resp = self
                .get(
                    &url,
                    Some(ACCEPT_DOCKER),
                    None,
                    None,
                    MAX_MANIFEST,
                    RequestPurpose::Manifest,
                )
                .await?;
        }
        if resp.status != 200 {
            let mut err = ranges::registry_error(
                &url,
                resp.status,
                &resp.body,
                &self.image.repository,
                reference,
            );
            // distribution answers MANIFEST_UNKNOWN for a missing repository too: its tag list
            // (one request, one tag) says NAME_UNKNOWN when the repository itself is missing
            if let Error::Http {
                code: Some(RegistryCode::ManifestUnknown),
                ..
            } = err
            {
                let tags_url = format!(
                    "{}/v2/{}/tags/list?n=1",
                    self.image.base, self.image.repository
                );
                if let Ok(t) = self
                    .get(&tags_url, None, None, None, 64 << 10, RequestPurpose::Tags)
                    .await
                {
                    if t.status == 404
                        && RegistryCode::from_body(&t.body) == Some(RegistryCode::NameUnknown)
                    {
                        err = ranges::registry_error(
                            &url,
                            404,
                            &t.body,
                            &self.image.repository,
                            reference,
                        );
                    }
                }
            }
            return Err(err);
        }
        if resp.aborted {
            // The size the server announced when it did (what was read stops at the limit).
            let announced = resp
                .header("content-length")
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|&n| n > MAX_MANIFEST);
            return Err(Error::TooLarge {
                what: "manifest".into(),
                size: announced.unwrap_or(MAX_MANIFEST + 1),
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
    pub async fn blob(
        &mut self,
        desc: &Descriptor,
        limit: u64,
        purpose: RequestPurpose,
    ) -> Result<Vec<u8>> {
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
        desc.parsed_digest()?.verify(purpose.as_str(), &resp.body)?;
        Ok(resp.body)
    }

    /// Exactly `range` of a blob, with one single-range request. A 200 (its body cancelled at
    /// once by the transport) is retried once: a `first-200` registry (distribution 3.x without
    /// a blob descriptor cache, distribution#4667) answers a blob's first ranged request with the
    /// whole blob and later ones with 206. Only a second 200 makes the server range-blind.
    pub async fn blob_range(
        &mut self,
        digest: &str,
        range: ByteRange,
        blob_size: Option<u64>,
        purpose: RequestPurpose,
    ) -> Result<Vec<u8>> {
        let url = self.image.blob_url(digest);
        let mut resp = self
            .get(&url, None, Some(range), None, range.length, purpose)
            .await?;
        if resp.status == 200 {
            resp = self
                .get(&url, None, Some(range), None, range.length, purpose)
                .await?;
        }
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
                    code: None,
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
        let resp = self
            .get(&url, None, None, None, 64 << 10, RequestPurpose::Ping)
            .await?;
        match resp.status {
            200 | 401 => Ok(resp.status),
            404 => Err(Error::Http {
                url,
                status: 404,
                message: "this server has no /v2/ API: it is not an OCI distribution registry (check the URL)".into(), code: None }),
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
                .get(&url, None, None, None, MAX_MANIFEST, RequestPurpose::Tags)
                .await?;
            if resp.status != 200 {
                return Err(ranges::registry_error(
                    &url,
                    resp.status,
                    &resp.body,
                    &self.image.repository,
                    "",
                ));
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
}

impl<T: Transport> ImageSource for RegistryClient<T> {
    async fn root_manifest(&mut self) -> Result<(Vec<u8>, Option<String>)> {
        let r = self.image.reference.clone();
        self.manifest(&r).await
    }

    async fn fetch(&mut self, desc: &Descriptor, limit: u64) -> Result<Vec<u8>> {
        self.blob(desc, limit, RequestPurpose::Config).await
    }

    async fn fetch_manifest(&mut self, desc: &Descriptor) -> Result<Vec<u8>> {
        Ok(self.manifest(&desc.digest).await?.0)
    }

    async fn read_range(&mut self, desc: &Descriptor, range: ByteRange) -> Result<Vec<u8>> {
        self.blob_range(
            &desc.digest,
            range,
            Some(desc.size),
            RequestPurpose::Metadata,
        )
        .await
    }

    fn request_log(&self) -> Vec<RequestRecord> {
        self.log.clone()
    }

    fn progress(&mut self, phase: ProgressPhase, layer: Option<usize>) {
        let (bytes, n) = (self.bytes_fetched(), self.log.len());
        if let Some(p) = &mut self.progress {
            p(phase, layer, bytes, n);
        }
    }

    fn layer_inspected(&mut self, layer: usize, entries: usize) {
        if let Some(f) = &mut self.layer_done {
            f(layer, entries);
        }
    }
}

#[cfg(test)]
mod tests;
