//! The range probe: how a registry answers ranges, and what that means for partial pulls.
//!
//! The reference puller (containers/image + containers/storage) fetches each layer's metadata
//! with ONE request carrying TWO ranges, then the missing chunks with one request of many
//! ranges. What happens next depends only on how the server answers multi-range requests
//! (spec §3.5): 206 multipart works; 200 makes it read the whole blob for every such request
//! (S3, minio); 400 makes it fall back to a full pull; anything else fails the pull.

use super::behaviour::{BehaviourClass, RegistryBehaviour};
use super::{ranges, reference::origin_of, RegistryClient, Transport};
use super::{RequestPurpose, RequestRecord};
use crate::error::{Error, Result};
use crate::oci::{Descriptor, ManifestDoc, Platform};
use crate::range::ByteRange;
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
    /// The multi-range request was not sent.
    NotTried,
}

/// What the probe concludes for the reference puller (wire names in kebab-case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// `partial-pulls-work`: multipart answers; only the missing chunks are downloaded.
    PartialPullsWork,
    /// `partial-pulls-retry`: more ranges than the cap get 400; the puller halves its requests
    /// until they fit, so the pull works with extra round trips.
    PartialPullsRetry,
    /// `whole-layers`: the puller silently reads whole blobs (200 answers).
    WholeLayers,
    /// `full-pull-fallback`: the metadata request is refused with 400; ordinary full pulls.
    FullPullFallback,
    /// `pull-fails`: an answer the puller cannot use (416, 501, a lone first range).
    PullFails,
    /// `unknown`: the multi-range request was not sent.
    Unknown,
}

impl Verdict {
    /// Every verdict, best first.
    pub const ALL: [Verdict; 6] = [
        Verdict::PartialPullsWork,
        Verdict::PartialPullsRetry,
        Verdict::WholeLayers,
        Verdict::FullPullFallback,
        Verdict::PullFails,
        Verdict::Unknown,
    ];

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::PartialPullsWork => "partial-pulls-work",
            Verdict::PartialPullsRetry => "partial-pulls-retry",
            Verdict::WholeLayers => "whole-layers",
            Verdict::FullPullFallback => "full-pull-fallback",
            Verdict::PullFails => "pull-fails",
            Verdict::Unknown => "unknown",
        }
    }
}

/// What to send: the 2-range request (`multi`), and the range-count ladder (`ladder`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProbeOptions {
    /// Send the 2-range request.
    pub multi: bool,
    /// Climb the range-count ladder ([`LADDER`]) and bisect the cap.
    pub ladder: bool,
}

/// The range counts the ladder tries; the cap is then found exactly by bisection.
pub const LADDER: [u32; 4] = [16, 64, 256, 1024];
/// Body bytes read from each ladder answer (only its head matters).
const LADDER_READ: u64 = 256;

/// One ladder request: `ranges` one-byte ranges in one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LadderStep {
    /// How many one-byte ranges the request asked for.
    pub ranges: u32,
    /// The HTTP status of the answer.
    pub status: u16,
    /// What kind of answer it was.
    pub kind: MultiRangeKind,
    /// Answered with multipart.
    pub accepted: bool,
}

/// Observations the probe made, and the class they put the registry in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeReport {
    /// What `GET /v2/` answered (200, or 401 for a registry that wants credentials).
    pub api_status: u16,
    /// The digest of the blob probed.
    pub blob: String,
    /// The blob's size, when known.
    pub blob_size: Option<u64>,
    /// The first single-range request.
    pub single_range: SingleRangeAnswer,
    /// The same range again (a `first-200` server answers this one with 206).
    pub repeat_range: SingleRangeAnswer,
    /// The 2-range request.
    pub multi_range: MultiRange,
    /// The `ladder` requests, in the order sent (empty without `ladder`).
    pub ladder: Vec<LadderStep>,
    /// The behaviour class (null when the multi-range request was not sent and single ranges
    /// work).
    pub class: Option<BehaviourClass>,
    /// What multi-range requests got, for `rejected` and `range-cap`.
    pub status: Option<u16>,
    /// The largest range count answered with multipart, for `range-cap` (ladder only).
    pub cap: Option<u32>,
    /// The `Accept-Ranges` header of the single-range answer, when readable.
    pub accept_ranges: Option<String>,
    /// The origin the blob request was redirected to, if any.
    pub redirected_to: Option<String>,
    /// What the findings mean for the reference puller.
    pub verdict: Verdict,
    /// The verdict in a sentence, for people.
    pub verdict_text: String,
    /// Configuration lines that would fix what was found for podman / CRI-O (empty when nothing
    /// needs fixing).
    pub fix: String,
    /// What a browser (this inspector) needs besides the registry's own CORS headers, kept apart
    /// from `fix`: the CORS rules of the object storage the registry redirects blobs to (empty
    /// without a redirect).
    pub browser_fix: String,
    /// Body bytes the probe received.
    pub bytes_fetched: u64,
    /// Requests the probe sent.
    pub requests: usize,
    /// Every request the probe made.
    pub request_log: Vec<RequestRecord>,
}

impl ProbeReport {
    /// Takes into account that an earlier reader (the inspector's TOC reads) saw the `first-200`
    /// behaviour on this registry: a cancelled 200, then a 206 for the same range. The probe's
    /// own requests come too late to see it (the registry answers only a blob's first ranged
    /// request with 200), so when both of its single ranges got 206 the class becomes
    /// `first-200`, with that class's verdict and fix.
    pub fn note_first_200(&mut self) {
        if !(self.single_range.ok && self.repeat_range.ok) {
            return;
        }
        self.class = Some(BehaviourClass::First200);
        self.status = None;
        self.cap = None;
        let (verdict, text, fix) = verdict(
            self.behaviour(),
            self.blob_size,
            self.redirected_to.is_some(),
        );
        self.verdict = verdict;
        self.verdict_text = format!("{text} (Seen by the earlier TOC reads; the probe's own ranges came later and got 206.)");
        self.fix = fix;
    }

    /// The class, status and cap as one value (the planner's input).
    pub fn behaviour(&self) -> Option<RegistryBehaviour> {
        self.class.map(|class| RegistryBehaviour {
            class,
            status: self.status,
            cap: self.cap,
        })
    }
}

/// The answer to one single-range request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SingleRangeAnswer {
    /// The HTTP status.
    pub status: u16,
    /// A 206 for exactly the range asked for.
    pub ok: bool,
    /// Whether `Content-Range` was readable (a browser sees it only when the server exposes it).
    pub content_range_exposed: bool,
}

/// The answer to the 2-range request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MultiRange {
    /// The HTTP status (`None` when not sent, or when no answer came).
    pub status: Option<u16>,
    /// What kind of answer it was.
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

/// The class the observations put the registry in, with the multi-range status and cap.
/// `single`/`repeat` are the two single-range answers; `multi` the 2-range answer (None when not
/// sent); `ladder` the ladder's steps in order.
pub fn classify(
    single: &SingleRangeAnswer,
    repeat: &SingleRangeAnswer,
    multi: Option<(MultiRangeKind, u16)>,
    ladder: &[LadderStep],
) -> (Option<BehaviourClass>, Option<u16>, Option<u32>) {
    match (single.status, repeat.status) {
        (200, 206) => return (Some(BehaviourClass::First200), None, None),
        (200, _) | (_, 200) => return (Some(BehaviourClass::NoRange), None, None),
        _ => {}
    }
    let Some((kind, status)) = multi else {
        return (None, None, None);
    };
    match kind {
        MultiRangeKind::Multipart => {
            let refused = ladder.iter().find(|s| !s.accepted);
            let accepted = ladder
                .iter()
                .filter(|s| s.accepted)
                .map(|s| s.ranges)
                .max()
                .unwrap_or(2);
            match refused {
                None => (Some(BehaviourClass::Multipart), None, None),
                Some(r) => match r.kind {
                    MultiRangeKind::WholeBody => (Some(BehaviourClass::WholeBody), None, None),
                    MultiRangeKind::SinglePart => {
                        (Some(BehaviourClass::FirstRangeOnly), None, None)
                    }
                    _ => (
                        Some(BehaviourClass::RangeCap),
                        Some(r.status),
                        Some(accepted),
                    ),
                },
            }
        }
        MultiRangeKind::WholeBody => (Some(BehaviourClass::WholeBody), None, None),
        MultiRangeKind::SinglePart => (Some(BehaviourClass::FirstRangeOnly), None, None),
        MultiRangeKind::Rejected | MultiRangeKind::Failed => {
            (Some(BehaviourClass::Rejected), Some(status), None)
        }
        MultiRangeKind::NotTried => (None, None, None),
    }
}

/// The verdict for the reference puller on a class, its explanation and the fix.
pub fn verdict(
    class: Option<RegistryBehaviour>,
    blob_size: Option<u64>,
    redirected: bool,
) -> (Verdict, String, String) {
    let size = blob_size
        .map(|s| format!("{} bytes", crate::text::thousands(s)))
        .unwrap_or_else(|| "the whole blob".into());
    let Some(b) = class else {
        return (
            Verdict::Unknown,
            "Single ranges work. Run the multi-range check to learn what podman and CRI-O will see.".into(),
            String::new(),
        );
    };
    let status = b.status.unwrap_or(0);
    let cap = b.cap.unwrap_or(0);
    match b.class {
        BehaviourClass::Multipart => (
            Verdict::PartialPullsWork,
            "Single and multi-range requests are answered with 206 multipart: podman, buildah and CRI-O pull zstd:chunked layers partially.".into(),
            String::new(),
        ),
        BehaviourClass::WholeBody => (
            Verdict::WholeLayers,
            format!("Multi-range requests get 200 and the whole blob{}. The reference puller accepts that silently: {size} for the metadata request, and the whole blob again for the data request. Single ranges work, so chunkscope itself reads fine.", if redirected { " from the object storage the registry redirects to (the S3 behaviour)" } else { "" }),
            if redirected { FIX_REDIRECT.into() } else { FIX_MULTI.into() },
        ),
        BehaviourClass::Rejected if status == 400 => (
            Verdict::FullPullFallback,
            "Multi-range requests are refused with 400 (as GCS does): the puller falls back to an ordinary full download of each layer.".into(),
            FIX_PROXY.into(),
        ),
        BehaviourClass::Rejected => (
            Verdict::PullFails,
            format!("Multi-range requests are refused with {status} (old zot answers 416, GHCR 501): only a 400 makes the puller fall back, so partial pulls of zstd:chunked layers fail."),
            FIX_PROXY.into(),
        ),
        BehaviourClass::RangeCap if status == 400 => (
            Verdict::PartialPullsRetry,
            format!("Up to {cap} ranges per request get multipart; more get 400. The puller halves its data requests until they fit: partial pulls work, with extra round trips."),
            FIX_CAP.into(),
        ),
        BehaviourClass::RangeCap => (
            Verdict::PullFails,
            format!("Up to {cap} ranges per request get multipart; more get {status} (zot 2.1.12 and later allow 16). The puller asks for up to 1024 ranges at once and retries only after a 400, so pulls that need more than {cap} ranges for a layer fail."),
            FIX_CAP.into(),
        ),
        BehaviourClass::FirstRangeOnly => (
            Verdict::PullFails,
            "Multi-range requests get a plain 206 holding only the first range (the Ceph RGW behaviour): the puller cannot use that answer and the partial pull fails.".into(),
            if redirected { FIX_REDIRECT.into() } else { FIX_PROXY.into() },
        ),
        BehaviourClass::NoRange => (
            Verdict::WholeLayers,
            format!("The server ignores Range even for a single range: every ranged request returns the whole blob ({size}). A partial pull downloads each layer about twice, once for the metadata and once for the data; chunkscope cannot read TOCs here."),
            FIX_RANGES.into(),
        ),
        BehaviourClass::First200 => (
            Verdict::WholeLayers,
            format!("The first ranged request for a blob got 200 and the whole blob ({size}); the same range again got 206. That is CNCF distribution 3.x without a blob descriptor cache (distribution#4667): each layer's first request downloads the whole blob."),
            FIX_FIRST_200.into(),
        ),
    }
}

const FIX_RANGES: &str = "# nginx in front of the registry: let the registry answer ranges itself\nlocation /v2/ {\n  proxy_pass http://registry:5000;\n  proxy_set_header Range $http_range;\n  proxy_set_header If-Range $http_if_range;\n}\n# A CDN or proxy: stop it stripping Range or caching whole objects for ranged requests.";
const FIX_MULTI: &str = "# Serve blobs from storage that answers multi-range requests (CNCF distribution's\n# filesystem driver does), or put a proxy in front that does, e.g. nginx without\n# `max_ranges 1` and passing Range through:\nlocation /v2/ {\n  proxy_pass http://registry:5000;\n  proxy_set_header Range $http_range;\n}";
const FIX_REDIRECT: &str = "# CNCF distribution config.yml: serve blobs through the registry instead of redirecting\n# to object storage (S3, GCS, Ceph RGW answer one range per request only).\n# Trade-off: the registry then streams every blob itself (its bandwidth and CPU instead of\n# the storage's), and it answers multi-range requests with multipart/byteranges.\nstorage:\n  redirect:\n    disable: true";
const FIX_PROXY: &str = "# A proxy in front that answers ranges itself from the whole blob, e.g. nginx:\nlocation /v2/ {\n  proxy_pass http://registry:5000;\n  proxy_set_header Range \"\";\n  proxy_force_ranges on;\n  max_ranges 1024;\n}\n# or a pull-through cache (CNCF distribution `proxy: remoteurl: ...` with filesystem storage)\n# that serves multipart answers.";
const FIX_CAP: &str = "# Raise the server's limit on ranges per request to at least 1024 (the most the puller\n# sends), e.g. nginx `max_ranges 1024;`; a server with a fixed limit (zot 2.1.12 and later:\n# 16) needs a proxy in front that answers ranges itself:\nlocation /v2/ {\n  proxy_pass http://registry:5000;\n  proxy_set_header Range \"\";\n  proxy_force_ranges on;\n  max_ranges 1024;\n}";
const FIX_FIRST_200: &str = "# CNCF distribution config.yml: enable the blob descriptor cache (distribution#4667)\nstorage:\n  cache:\n    blobdescriptor: inmemory";

/// CORS rules for the object store a registry redirects blobs to (S3 bucket CORS as JSON; the
/// redirected request's origin is `null`, so `*` is needed).
pub const BUCKET_CORS_FIX: &str = "# Blobs are redirected to object storage: give the bucket CORS rules too (S3 JSON shown)\n[{\"AllowedOrigins\": [\"*\"], \"AllowedMethods\": [\"GET\", \"HEAD\"], \"AllowedHeaders\": [\"Range\", \"Accept\"], \"ExposeHeaders\": [\"Content-Range\", \"Content-Length\", \"ETag\"]}]";

/// The CORS configuration a registry needs for the browser inspector.
pub const CORS_FIX: &str = "# CNCF distribution config.yml\nhttp:\n  headers:\n    Access-Control-Allow-Origin: ['*']\n    Access-Control-Allow-Methods: [HEAD, GET, OPTIONS]\n    Access-Control-Allow-Headers: [Accept, Range, Authorization]\n    Access-Control-Expose-Headers: [Content-Range, Content-Length, Docker-Content-Digest, WWW-Authenticate]";

/// A `Range` value of `n` one-byte ranges at even offsets (`bytes=0-0,2-2,…`): they never touch
/// or overlap, and together they stay under half the blob, so no server may coalesce them or
/// answer with the whole blob because the ranges add up to it.
pub fn ladder_range(n: u32) -> String {
    let mut s = String::from("bytes=");
    for i in 0..u64::from(n) {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("{}-{}", 2 * i, 2 * i));
    }
    s
}

impl<T: Transport> RegistryClient<T> {
    /// The blob a probe of this image reads from: its largest layer (an index resolved to
    /// `platform`), so that the ranges asked for fit and the answers are typical.
    pub async fn probe_target(&mut self, platform: Option<&Platform>) -> Result<Descriptor> {
        let reference = self.image.reference.clone();
        let (bytes, ct) = self.manifest(&reference).await?;
        let manifest = match ManifestDoc::parse(&bytes, ct.as_deref())? {
            ManifestDoc::Image(m) => m,
            ManifestDoc::Index(i) => {
                let d = i.select(platform)?.clone();
                let (bytes, ct) = self.manifest(&d.digest).await?;
                match ManifestDoc::parse(&bytes, ct.as_deref())? {
                    ManifestDoc::Image(m) => m,
                    ManifestDoc::Index(_) => {
                        return Err(Error::Oci("an index inside an index".into()))
                    }
                }
            }
        };
        manifest
            .layers
            .into_iter()
            .max_by_key(|l| l.size)
            .ok_or_else(|| Error::Oci("the image has no layers to probe".into()))
    }

    /// One single-range probe request.
    async fn probe_single(&mut self, url: &str, r: ByteRange) -> Result<super::HttpResponse> {
        let resp = self
            .get(url, None, Some(r), None, r.length, RequestPurpose::Probe)
            .await?;
        if !matches!(resp.status, 200 | 206) {
            return Err(ranges::status_error(url, resp.status));
        }
        Ok(resp)
    }

    /// One ladder rung: `n` ranges in one request; reads at most 256 body bytes.
    async fn probe_rung(&mut self, url: &str, n: u32) -> Result<LadderStep> {
        let resp = self
            .get(
                url,
                None,
                None,
                Some(ladder_range(n)),
                LADDER_READ,
                RequestPurpose::Probe,
            )
            .await?;
        let kind = classify_multi(resp.status, resp.header("content-type"));
        Ok(LadderStep {
            ranges: n,
            status: resp.status,
            kind,
            accepted: kind == MultiRangeKind::Multipart,
        })
    }

    /// Probes how the registry answers ranges on a blob and classifies it: a single range, the
    /// same range again, then (with `opts.multi`) one 2-range request, and (with `opts.ladder`)
    /// requests of 16, 64, 256 and 1024 ranges, bisecting between the last accepted and the
    /// first refused count to find the cap exactly. The probe is the one place chunkscope sends
    /// multi-range headers; it reads at most 8 KiB of the 2-range answer, 256 bytes of each
    /// ladder answer, and cancels every 200 at once.
    pub async fn probe(
        &mut self,
        digest: &str,
        size: Option<u64>,
        opts: ProbeOptions,
    ) -> Result<ProbeReport> {
        let start = self.log.len();
        let api_status = self.ping().await?;
        let url = self.image.blob_url(digest);
        let len = size.map(|s| s.min(512)).unwrap_or(512).max(1);
        let r = ByteRange {
            offset: 0,
            length: len,
        };
        let first = self.probe_single(&url, r).await?;
        let second = self.probe_single(&url, r).await?;
        let single_of = |resp: &super::HttpResponse| SingleRangeAnswer {
            status: resp.status,
            ok: resp.status == 206,
            content_range_exposed: resp.header("content-range").is_some(),
        };
        let (single, repeat) = (single_of(&first), single_of(&second));
        let blob_size = size.or_else(|| {
            [&first, &second].into_iter().find_map(|resp| {
                resp.header("content-range")
                    .and_then(ranges::parse_content_range)
                    .and_then(|x| x.2)
            })
        });
        let accept_ranges = [&first, &second]
            .into_iter()
            .find_map(|resp| resp.header("accept-ranges").map(str::to_string));
        let redirected_to = [&first, &second].into_iter().find_map(|resp| {
            (!resp.final_url.is_empty() && origin_of(&resp.final_url) != origin_of(&url))
                .then(|| origin_of(&resp.final_url).unwrap_or_default().to_string())
        });
        let mut ladder = Vec::new();
        let multi_range = if opts.multi && (single.ok || repeat.ok) {
            let resp = self
                .get(
                    &url,
                    None,
                    None,
                    Some("bytes=0-99,200-299".into()),
                    8 << 10,
                    RequestPurpose::Probe,
                )
                .await?;
            let kind = classify_multi(resp.status, resp.header("content-type"));
            if opts.ladder && kind == MultiRangeKind::Multipart && single.ok && repeat.ok {
                // Rungs that fit in half the blob (one-byte ranges at even offsets).
                let fits = |n: u32| blob_size.is_none_or(|s| 2 * u64::from(n) <= s);
                let mut lo = 2;
                let mut hi = None;
                for n in LADDER.into_iter().filter(|&n| fits(n)) {
                    let step = self.probe_rung(&url, n).await?;
                    ladder.push(step);
                    if step.accepted {
                        lo = n;
                    } else {
                        hi = Some(n);
                        break;
                    }
                }
                if let Some(mut hi) = hi {
                    while hi - lo > 1 {
                        let mid = lo + (hi - lo) / 2;
                        let step = self.probe_rung(&url, mid).await?;
                        ladder.push(step);
                        if step.accepted {
                            lo = mid;
                        } else {
                            hi = mid;
                        }
                    }
                }
            }
            MultiRange {
                status: Some(resp.status),
                kind,
            }
        } else {
            MultiRange {
                status: None,
                kind: MultiRangeKind::NotTried,
            }
        };
        let multi = multi_range.status.map(|s| (multi_range.kind, s));
        let (class, status, cap) = classify(&single, &repeat, multi, &ladder);
        // The first refused rung's status is what counts for a cap; the bisection's later
        // refusals have the same status.
        let behaviour = class.map(|class| RegistryBehaviour { class, status, cap });
        let (verdict, text, fix) = self::verdict(behaviour, blob_size, redirected_to.is_some());
        // The browser reads the blob from wherever the registry redirects: that store needs CORS
        // rules of its own (a browser's need, not podman's: kept apart from `fix`).
        let browser_fix = if redirected_to.is_some() {
            BUCKET_CORS_FIX.to_string()
        } else {
            String::new()
        };
        let log = self.log[start..].to_vec();
        Ok(ProbeReport {
            api_status,
            blob: digest.to_string(),
            blob_size,
            single_range: single,
            repeat_range: repeat,
            multi_range,
            ladder,
            class,
            status,
            cap,
            accept_ranges,
            redirected_to,
            verdict,
            verdict_text: text,
            fix,
            browser_fix,
            bytes_fetched: log.iter().map(|r| r.bytes).sum(),
            requests: log.len(),
            request_log: log,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sr(status: u16) -> SingleRangeAnswer {
        SingleRangeAnswer {
            status,
            ok: status == 206,
            content_range_exposed: true,
        }
    }

    fn step(ranges: u32, status: u16, kind: MultiRangeKind) -> LadderStep {
        LadderStep {
            ranges,
            status,
            kind,
            accepted: kind == MultiRangeKind::Multipart,
        }
    }

    #[test]
    fn classifies_every_class() {
        use BehaviourClass::*;
        use MultiRangeKind as K;
        let ok = sr(206);
        let mp = Some((K::Multipart, 206));
        assert_eq!(classify(&ok, &ok, mp, &[]), (Some(Multipart), None, None));
        assert_eq!(
            classify(&ok, &ok, Some((K::WholeBody, 200)), &[]),
            (Some(WholeBody), None, None)
        );
        for s in [400, 416, 501] {
            let kind = classify_multi(s, None);
            assert_eq!(
                classify(&ok, &ok, Some((kind, s)), &[]),
                (Some(Rejected), Some(s), None)
            );
        }
        let cap16 = [
            step(16, 206, K::Multipart),
            step(64, 416, K::Failed),
            step(40, 416, K::Failed),
            step(28, 416, K::Failed),
            step(22, 416, K::Failed),
            step(19, 416, K::Failed),
            step(17, 416, K::Failed),
        ];
        assert_eq!(
            classify(&ok, &ok, mp, &cap16),
            (Some(RangeCap), Some(416), Some(16))
        );
        assert_eq!(
            classify(
                &ok,
                &ok,
                Some((classify_multi(206, Some("text/plain")), 206)),
                &[]
            ),
            (Some(FirstRangeOnly), None, None)
        );
        assert_eq!(
            classify(&sr(200), &sr(200), None, &[]),
            (Some(NoRange), None, None)
        );
        assert_eq!(
            classify(&sr(200), &sr(206), mp, &[]),
            (Some(First200), None, None)
        );
        assert_eq!(classify(&ok, &ok, None, &[]), (None, None, None));
    }

    #[test]
    fn verdicts_follow_the_class() {
        let v = |t: &str| verdict(Some(t.parse().unwrap()), Some(10), false).0;
        assert_eq!(v("multipart"), Verdict::PartialPullsWork);
        assert_eq!(v("whole-body"), Verdict::WholeLayers);
        assert_eq!(v("rejected:400"), Verdict::FullPullFallback);
        assert_eq!(v("rejected:416"), Verdict::PullFails);
        assert_eq!(v("rejected:501"), Verdict::PullFails);
        assert_eq!(v("range-cap:400:64"), Verdict::PartialPullsRetry);
        assert_eq!(v("range-cap:416:16"), Verdict::PullFails);
        assert_eq!(v("first-range-only"), Verdict::PullFails);
        assert_eq!(v("no-range"), Verdict::WholeLayers);
        assert_eq!(v("first-200"), Verdict::WholeLayers);
        assert_eq!(verdict(None, None, false).0, Verdict::Unknown);
        // Each problem class names a fix, and a redirect's fix is to stop redirecting.
        for t in [
            "whole-body",
            "rejected:400",
            "range-cap:416:16",
            "no-range",
            "first-200",
        ] {
            assert!(
                !verdict(Some(t.parse().unwrap()), None, false).2.is_empty(),
                "{t}"
            );
        }
        let redirected = verdict(Some("whole-body".parse().unwrap()), None, true).2;
        assert!(redirected.contains("disable: true"));
        // the trade-off is named, and the browser's bucket CORS is not podman's fix
        assert!(redirected.contains("Trade-off: the registry then streams every blob itself"));
        assert!(!redirected.contains("AllowedOrigins"));
        assert_eq!(
            serde_json::to_value(Verdict::PartialPullsRetry).unwrap(),
            "partial-pulls-retry"
        );
        assert_eq!(Verdict::FullPullFallback.as_str(), "full-pull-fallback");
    }

    #[test]
    fn first_200_seen_earlier_overrides_a_later_multipart() {
        let mut p = ProbeReport {
            api_status: 200,
            blob: "sha256:x".into(),
            blob_size: Some(10_000),
            single_range: sr(206),
            repeat_range: sr(206),
            multi_range: MultiRange {
                status: Some(206),
                kind: MultiRangeKind::Multipart,
            },
            ladder: Vec::new(),
            class: Some(BehaviourClass::Multipart),
            status: None,
            cap: None,
            accept_ranges: None,
            redirected_to: None,
            verdict: Verdict::PartialPullsWork,
            verdict_text: String::new(),
            fix: String::new(),
            browser_fix: String::new(),
            bytes_fetched: 0,
            requests: 0,
            request_log: Vec::new(),
        };
        p.note_first_200();
        assert_eq!(p.class, Some(BehaviourClass::First200));
        assert_eq!(p.verdict, Verdict::WholeLayers);
        assert!(p.fix.contains("blobdescriptor"));
        // a registry whose single ranges fail is not made first-200
        p.single_range = sr(200);
        p.repeat_range = sr(200);
        p.class = Some(BehaviourClass::NoRange);
        p.note_first_200();
        assert_eq!(p.class, Some(BehaviourClass::NoRange));
    }

    #[test]
    fn ladder_ranges_are_disjoint_one_byte_ranges() {
        assert_eq!(ladder_range(3), "bytes=0-0,2-2,4-4");
        assert_eq!(ladder_range(1024).matches(',').count(), 1023);
    }
}
