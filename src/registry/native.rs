//! The native transport: a blocking `ureq` agent behind the async [`Transport`] trait.

use super::ranges::{judge, RangeVerdict};
use super::{HttpRequest, HttpResponse, Transport};
use crate::error::TimeoutStage;
use crate::error::{Error, Result};
use std::io::Read;
use std::time::Duration;

/// The native [`Transport`]: a blocking `ureq` agent with a stall limit ([`stall_limit`]). It
/// follows redirects itself rather than letting `ureq` do it: at most 5, to http(s) URLs only,
/// a loop is an [`Error::Http`] that says so, and `Authorization` is dropped on a redirect to
/// another origin (blob storage, a CDN).
pub struct UreqTransport {
    agent: ureq::Agent,
    stall: Duration,
}

/// How long a request may stall (connecting, waiting for headers, between body reads) before
/// it fails with [`Error::Timeout`], unless `CHUNKSCOPE_TIMEOUT` (whole seconds, 1 to 3600)
/// says otherwise.
pub const DEFAULT_STALL_SECS: u64 = 30;

/// The stall limit: `CHUNKSCOPE_TIMEOUT` when it is a whole number of seconds in 1..=3600,
/// else [`DEFAULT_STALL_SECS`].
pub fn stall_limit() -> Duration {
    let secs = std::env::var("CHUNKSCOPE_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| (1..=3600).contains(n))
        .unwrap_or(DEFAULT_STALL_SECS);
    Duration::from_secs(secs)
}

impl UreqTransport {
    /// A transport with the stall limit of [`stall_limit`].
    pub fn new() -> Self {
        Self::with_stall_limit(stall_limit())
    }

    /// A transport whose connect, header and per-read waits are each bounded by `stall`.
    pub fn with_stall_limit(stall: Duration) -> Self {
        UreqTransport {
            agent: ureq::AgentBuilder::new()
                .redirects(0)
                // A pooled connection does not get the read time-out again in ureq 2: a stall
                // on one waited until the server gave up. Fresh connections keep the bound.
                .max_idle_connections(0)
                .timeout_connect(stall)
                .timeout_read(stall)
                .timeout_write(stall)
                .build(),
            stall,
        }
    }

    fn timeout(&self, url: &str, stage: TimeoutStage) -> Error {
        Error::Timeout {
            url: url.to_string(),
            stage,
            seconds: self.stall.as_secs().max(1),
        }
    }
}

/// Whether an IO error (anywhere in a source chain) is a read or connect time-out.
fn is_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

/// ureq's transport error without the URL (the [`Error::Network`] message names it once).
fn transport_detail(t: &ureq::Transport) -> String {
    let mut out = t.kind().to_string();
    if let Some(m) = t.message() {
        out.push_str(": ");
        out.push_str(m);
    }
    let mut cur = std::error::Error::source(t);
    while let Some(e) = cur {
        let s = e.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = e.source();
    }
    out
}

/// Redirects followed per request.
const MAX_REDIRECTS: usize = 5;

/// Where a `Location` leads from `base`: absolute http(s), scheme-relative, absolute-path or
/// relative. `None` for any other scheme.
fn resolve_location(base: &str, location: &str) -> Option<String> {
    let location = location.trim();
    let lower = location.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Some(location.to_string());
    }
    let (scheme, rest) = base.split_once("://")?;
    if let Some(tail) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{tail}"));
    }
    // Anything with a scheme (`file:`, `ftp:`, `javascript:` …) before its first `/`.
    let before_slash = location.split(['/', '?', '#']).next().unwrap_or("");
    if before_slash.contains(':') {
        return None;
    }
    let host_end = rest.find('/').unwrap_or(rest.len());
    let origin = format!("{scheme}://{}", &rest[..host_end]);
    if location.starts_with('/') {
        return Some(format!("{origin}{location}"));
    }
    let path = rest[host_end..].split(['?', '#']).next().unwrap_or("");
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let dir = if dir.is_empty() { "/" } else { dir };
    Some(format!("{origin}{dir}{location}"))
}

impl UreqTransport {
    /// One GET without following redirects; a 3xx/4xx/5xx is an answer, not an error.
    fn call(&self, url: &str, headers: &[(String, String)]) -> Result<ureq::Response> {
        let mut r = self.agent.get(url);
        for (k, v) in headers {
            r = r.set(k, v);
        }
        match r.call() {
            Ok(resp) | Err(ureq::Error::Status(_, resp)) => Ok(resp),
            Err(ureq::Error::Transport(t)) => {
                if is_timeout(&t) {
                    let stage = if t.kind() == ureq::ErrorKind::ConnectionFailed {
                        TimeoutStage::Connect
                    } else {
                        TimeoutStage::Headers
                    };
                    return Err(self.timeout(url, stage));
                }
                Err(Error::Network {
                    url: url.to_string(),
                    detail: transport_detail(&t),
                })
            }
        }
    }
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl Transport for UreqTransport {
    async fn send(&mut self, req: &HttpRequest) -> Result<HttpResponse> {
        // Redirects are followed here, not by ureq: a Location that is not http(s) must be a
        // typed error (ureq 2 panics on some), and a loop is named as one.
        let mut url = req.url.clone();
        let mut seen = vec![url.clone()];
        let mut headers = req.headers.clone();
        let resp = loop {
            let resp = self.call(&url, &headers)?;
            let status = resp.status();
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                break resp;
            }
            let Some(location) = resp.header("location") else {
                break resp;
            };
            let next = resolve_location(&url, location).ok_or_else(|| Error::Http {
                url: url.clone(),
                status,
                message: format!(
                    "redirected to {location:?}, which is not an http(s) URL: not followed"
                ),
                code: None,
            })?;
            if seen.contains(&next) {
                return Err(Error::Http {
                    url: req.url.clone(),
                    status,
                    message: format!(
                        "redirect loop: after {} redirect(s) it leads back to a URL already visited",
                        seen.len()
                    ),
                    code: None,
                });
            }
            if seen.len() > MAX_REDIRECTS {
                return Err(Error::Http {
                    url: req.url.clone(),
                    status,
                    message: format!("more than {MAX_REDIRECTS} redirects"),
                    code: None,
                });
            }
            // Credentials go to the registry only (as ureq did): never along a redirect to
            // another origin (blob storage, a CDN).
            if super::reference::origin_of(&next) != super::reference::origin_of(&url) {
                headers.retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
            }
            seen.push(next.clone());
            url = next;
        };
        let status = resp.status();
        let headers = resp
            .headers_names()
            .into_iter()
            .filter_map(|n| {
                resp.header(&n)
                    .map(|v| (n.to_ascii_lowercase(), v.to_string()))
            })
            .collect();
        let mut out = HttpResponse {
            status,
            headers,
            body: Vec::new(),
            final_url: resp.get_url().to_string(),
            aborted: false,
        };
        if let Some(range) = req.range {
            let len = out.header("content-length").and_then(|v| v.parse().ok());
            if judge(&req.url, range, status, out.header("content-range"), len)?
                == RangeVerdict::Ignored
            {
                out.aborted = true; // dropping the reader closes the connection unread
                return Ok(out);
            }
        }
        if req.multi_range.is_some() && status == 200 {
            out.aborted = true;
            return Ok(out);
        }
        let mut reader = resp.into_reader().take(req.limit + 1);
        reader.read_to_end(&mut out.body).map_err(|e| {
            if is_timeout(&e) {
                self.timeout(&req.url, TimeoutStage::Body)
            } else {
                Error::Network {
                    url: req.url.clone(),
                    detail: format!("the body broke off: {e}"),
                }
            }
        })?;
        if out.body.len() as u64 > req.limit {
            out.body.truncate(req.limit as usize);
            out.aborted = true;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::resolve_location;

    #[test]
    fn locations() {
        let b = "http://r.example:5000/v2/x/blobs/sha256:ab?x=1";
        assert_eq!(
            resolve_location(b, "https://s3.example/b?sig=1").as_deref(),
            Some("https://s3.example/b?sig=1")
        );
        assert_eq!(
            resolve_location(b, "//cdn.example/p").as_deref(),
            Some("http://cdn.example/p")
        );
        assert_eq!(
            resolve_location(b, "/v2/y").as_deref(),
            Some("http://r.example:5000/v2/y")
        );
        assert_eq!(
            resolve_location(b, "other").as_deref(),
            Some("http://r.example:5000/v2/x/blobs/other")
        );
        assert_eq!(resolve_location(b, "file:///etc/passwd"), None);
        assert_eq!(resolve_location(b, "javascript:alert(1)"), None);
        assert_eq!(resolve_location(b, "ftp://h/x"), None);
    }
}
