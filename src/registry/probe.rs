//! The range probe: how a registry answers ranges, and what that means for partial pulls.
//!
//! The reference puller (containers/image + containers/storage) fetches each layer's metadata
//! with ONE request carrying TWO ranges, then the missing chunks with one request of many
//! ranges. What happens next depends only on how the server answers multi-range requests
//! (spec §3.5): 206 multipart works; 200 makes it read the whole blob for every such request
//! (S3, minio); 400 makes it fall back to a full pull; anything else fails the pull.

use super::{ranges, reference::origin_of, RegistryClient, Transport};
use crate::error::Result;
use crate::inspect::ByteRange;
use serde::Serialize;

/// How the server answered the multi-range request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MultiRangeKind {
    /// 206 `multipart/byteranges`: what pullers expect.
    Multipart,
    /// 200 with the whole blob: the S3/minio behaviour.
    WholeBody,
    /// 206 with a single part (ranges coalesced).
    SinglePart,
    /// 400: the request was refused.
    Rejected,
    /// 416 or another error status.
    Failed,
    NotTried,
}

/// Observations the probe made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeReport {
    /// What `GET /v2/` answered (200, or 401 for a registry that wants credentials).
    pub api_status: u16,
    pub blob: String,
    pub blob_size: Option<u64>,
    pub single_range: SingleRange,
    pub multi_range: MultiRange,
    pub accept_ranges: Option<String>,
    /// The host the blob request was redirected to, if any.
    pub redirected_to: Option<String>,
    /// `partial pulls work`, `will silently download whole layers`, `will fall back to full pulls`,
    /// `will fail`, or `unknown`.
    pub verdict: String,
    pub verdict_text: String,
    /// Configuration lines that would fix what was found.
    pub fix: String,
    pub bytes_fetched: u64,
    pub requests: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SingleRange {
    pub status: u16,
    pub ok: bool,
    pub content_range_exposed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MultiRange {
    pub status: Option<u16>,
    pub kind: MultiRangeKind,
}

/// Classifies the head of the answer to a 2-range request.
pub fn classify_multi(status: u16, content_type: Option<&str>) -> MultiRangeKind {
    match status {
        206 if content_type
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("multipart/byteranges")) =>
        {
            MultiRangeKind::Multipart
        }
        206 => MultiRangeKind::SinglePart,
        200 => MultiRangeKind::WholeBody,
        400 => MultiRangeKind::Rejected,
        _ => MultiRangeKind::Failed,
    }
}

/// The verdict for the reference puller, its explanation and the fix.
pub fn verdict(
    single: &SingleRange,
    multi: MultiRangeKind,
    blob_size: Option<u64>,
) -> (&'static str, String, String) {
    let size = blob_size
        .map(|s| format!("{} bytes", crate::inspect::report::thousands(s)))
        .unwrap_or_else(|| "the whole blob".into());
    if !single.ok && single.status == 200 {
        return (
            "will silently download whole layers",
            format!("The server ignores Range even for a single range: every ranged request returns the whole blob ({size}). A partial pull downloads each layer about twice, once for the metadata and once for the data."),
            FIX_RANGES.into(),
        );
    }
    match multi {
        MultiRangeKind::Multipart => ("partial pulls work", "Single and multi-range requests are answered with 206; podman, buildah and CRI-O can pull zstd:chunked layers partially.".into(), String::new()),
        MultiRangeKind::WholeBody => (
            "will silently download whole layers",
            format!("Multi-range requests get 200 and the whole blob (the S3/minio behaviour). The reference puller accepts that silently: about {size} for the metadata alone, and the whole blob again for the data. Single-range requests work, so chunkscope itself reads fine."),
            FIX_MULTI.into(),
        ),
        MultiRangeKind::Rejected => (
            "will fall back to full pulls",
            "Multi-range requests are refused with 400: the puller falls back to an ordinary full download of each layer.".into(),
            FIX_MULTI.into(),
        ),
        MultiRangeKind::SinglePart | MultiRangeKind::Failed => (
            "will fail",
            "Multi-range requests get an answer the puller cannot use (416, a single coalesced part, or an error): partial pulls of zstd:chunked layers fail.".into(),
            FIX_MULTI.into(),
        ),
        MultiRangeKind::NotTried => (
            "unknown",
            "Single ranges work. Run the multi-range check to learn what podman and CRI-O will see.".into(),
            String::new(),
        ),
    }
}

const FIX_RANGES: &str = "# nginx in front of the registry: let the registry answer ranges itself\nlocation /v2/ {\n  proxy_pass http://registry:5000;\n  proxy_set_header Range $http_range;\n  proxy_set_header If-Range $http_if_range;\n}";
const FIX_MULTI: &str = "# Serve blobs from storage that answers multi-range requests (CNCF distribution's\n# filesystem driver does), or put a proxy in front that does, e.g. nginx without\n# `max_ranges 1` and passing Range through:\nlocation /v2/ {\n  proxy_pass http://registry:5000;\n  proxy_set_header Range $http_range;\n}\n# S3/minio answer one range per request only; with them, disable redirects\n# (storage.redirect.disable: true) so the registry serves ranges itself.";

/// CORS rules for the object store a registry redirects blobs to (S3 bucket CORS as JSON; the
/// redirected request's origin is `null`, so `*` is needed).
pub const BUCKET_CORS_FIX: &str = "# Blobs are redirected to object storage: give the bucket CORS rules too (S3 JSON shown)\n[{\"AllowedOrigins\": [\"*\"], \"AllowedMethods\": [\"GET\", \"HEAD\"], \"AllowedHeaders\": [\"Range\", \"Accept\"], \"ExposeHeaders\": [\"Content-Range\", \"Content-Length\", \"ETag\"]}]";

/// The CORS configuration a registry needs for the browser inspector.
pub const CORS_FIX: &str = "# CNCF distribution config.yml\nhttp:\n  headers:\n    Access-Control-Allow-Origin: ['*']\n    Access-Control-Allow-Methods: [HEAD, GET, OPTIONS]\n    Access-Control-Allow-Headers: [Accept, Range, Authorization]\n    Access-Control-Expose-Headers: [Content-Range, Content-Length, Docker-Content-Digest, WWW-Authenticate]";

impl<T: Transport> RegistryClient<T> {
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
        let (verdict, text, mut fix) = self::verdict(&single, multi_range.kind, blob_size);
        if redirected_to.is_some() {
            // The browser reads the blob from wherever the registry redirects: that store needs
            // CORS rules of its own.
            if !fix.is_empty() {
                fix.push_str("\n\n");
            }
            fix.push_str(BUCKET_CORS_FIX);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        let ok = SingleRange {
            status: 206,
            ok: true,
            content_range_exposed: true,
        };
        assert_eq!(
            classify_multi(206, Some("multipart/byteranges; boundary=x")),
            MultiRangeKind::Multipart
        );
        assert_eq!(
            classify_multi(200, Some("application/octet-stream")),
            MultiRangeKind::WholeBody
        );
        assert_eq!(
            verdict(&ok, MultiRangeKind::Multipart, Some(10)).0,
            "partial pulls work"
        );
        assert_eq!(
            verdict(&ok, MultiRangeKind::WholeBody, Some(10)).0,
            "will silently download whole layers"
        );
        assert_eq!(verdict(&ok, MultiRangeKind::Failed, None).0, "will fail");
        let ignored = SingleRange {
            status: 200,
            ok: false,
            content_range_exposed: false,
        };
        assert_eq!(
            verdict(&ignored, MultiRangeKind::NotTried, None).0,
            "will silently download whole layers"
        );
    }
}
