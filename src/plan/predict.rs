//! What the reference puller really does on a given registry: the planner's `predicted` per
//! layer.
//!
//! The reference's plan (`LayerPlan::request_list`) is what podman asks for when the registry
//! answers every request as asked. Real registries do not (see [`BehaviourClass`]); this module replays the
//! plan against a [`RegistryBehaviour`] the way containers/image v5.34 and containers/storage
//! v1.57 (podman 5.4) handle each answer:
//!
//! * **206 multipart** (or a single range answered 206): as planned.
//! * **200 with the whole blob** (`GetBlobAt` → `splitHTTP200ResponseToPartial`): accepted
//!   silently; the request costs the whole blob. The outcome is `double-download` (the metadata
//!   request reads the blob, then the data request reads it again).
//! * **400** (`BadPartialRequestError` → `chunked.ErrBadRequest`): on the metadata request
//!   (`readZstdChunkedManifest`) an `ErrFallbackToOrdinaryLayerDownload`: the layer is pulled
//!   whole with one plain GET (`copy/single.go`). On the data request (`retrieveMissingFiles`)
//!   the ranges are merged again with `mergeMissingChunks(parts, len(chunks)/2)` and the request
//!   retried, down to one range (365 → 181 → 89 → 43: each pass leaves `n/2 − 1` ranges, the
//!   same off-by-one as the first pass's 1023).
//! * **any other error status** (`fetching partial blob: …`): the partial pull fails, and with
//!   it the whole pull. podman retries the whole copy (`--retry`, default 3, `--retry-delay`
//!   default 1 s; containers/common `pkg/retry`) only when the error is retryable:
//!   `IsErrorRetryable` says yes for a registry JSON error (`{"errors":[…]}` parsed into an
//!   `errcode.Error` by `handleErrorResponse`) on a 4xx, and no for a 4xx with any other body
//!   (`unexpectedHTTPResponseError`) and for every 5xx (`unexpectedHTTPStatusError`). Each
//!   attempt fetches the config again and redoes every layer not in the store.
//! * **a plain 206 holding only the first range** (`handle206Response` with a non-multipart
//!   type): the metadata's second part is missing: "read zstd:chunked manifest: stream closed",
//!   not retryable.
//!
//! What the model cannot say exactly: the layers of one pull run concurrently, so when one
//! fails the others may stop earlier than modelled (they are modelled to run to their end); a
//! 200 answer is priced as the whole blob, what the server sends and what the logging front
//! records for small blobs, although podman stops reading after the last range it asked for
//! (on large blobs with the last missing chunk far from the end the server sends less: 189 %
//! instead of 200 % on a 254 MB image); the error text of a JSON error is the registry's
//! message, which the model does not know.

use super::ranges::{merge_missing_chunks, ByteRange, Part, Source};
use super::{LayerPlan, PullPlan};
use crate::inspect::eligibility::PullOutcome;
pub use crate::registry::behaviour::{error_body_of, ErrorBody};
use crate::registry::behaviour::{BehaviourClass, RegistryBehaviour};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// podman's `--retry` default: how often a failed pull is retried when the error is retryable.
pub const DEFAULT_RETRIES: u32 = 3;

/// What the prediction is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PredictOptions {
    /// How the registry answers range requests.
    pub behaviour: RegistryBehaviour,
    /// The body of the registry's refusals.
    #[serde(default)]
    pub error_body: ErrorBody,
    /// podman's `--retry` (default 3).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// The config blob's size (fetched once per attempt), when known.
    #[serde(default)]
    pub config_bytes: Option<u64>,
}

fn default_retries() -> u32 {
    DEFAULT_RETRIES
}

impl PredictOptions {
    /// Options for `behaviour` with podman's defaults: text refusals, 3 retries.
    pub fn new(behaviour: RegistryBehaviour) -> Self {
        PredictOptions {
            behaviour,
            error_body: ErrorBody::default(),
            retries: DEFAULT_RETRIES,
            config_bytes: None,
        }
    }
}

/// How a layer (or the whole pull) ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Partial pull as planned (possibly after the halving retries).
    Partial,
    /// The partial pull "succeeds", but one or more requests were answered with the whole blob.
    DoubleDownload,
    /// The metadata request was refused with 400: the layer is pulled whole.
    FullFallback,
    /// The pull fails.
    Fails,
}

pub use super::RequestKind;

impl Outcome {
    /// Every outcome, in documentation order.
    pub const ALL: [Outcome; 4] = [
        Outcome::Partial,
        Outcome::DoubleDownload,
        Outcome::FullFallback,
        Outcome::Fails,
    ];
}

/// One request podman would send, and how the registry would answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PredictedRequest {
    /// What the request is for.
    pub kind: RequestKind,
    /// The ranges of the `Range` header (empty for `full`).
    pub ranges: Vec<ByteRange>,
    /// Body bytes podman receives: the ranges for a 206, the blob for a 200, the first range
    /// for a plain 206 of the first range only, 0 for a refusal.
    pub bytes: u64,
    /// The answer's status.
    pub status: u16,
    /// 1 for the first attempt of the pull, 2… for podman's retries of a failing pull.
    pub attempt: u32,
}

/// The prediction for one layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerPrediction {
    /// What happens to the layer.
    pub outcome: Outcome,
    /// Every request, in order, over every attempt.
    pub requests: Vec<PredictedRequest>,
    /// Body bytes received for the layer, over every attempt.
    pub bytes: u64,
    /// podman's error when the layer fails it (the innermost part; podman prefixes it with the
    /// copy's context).
    pub error: Option<String>,
}

/// The prediction for the whole pull.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PredictedTotals {
    /// The behaviour predicted for, in the `CLASS[:STATUS][:CAP]` form.
    pub behaviour: String,
    /// The body of the registry's refusals predicted for.
    pub error_body: ErrorBody,
    /// `fails` if any layer fails, else `full-fallback` if any layer fell back, else
    /// `double-download` if any request was answered with a whole blob, else `partial`.
    pub outcome: Outcome,
    /// 1 + the retries made (a failing pull with a retryable error is tried 1 + `retries` times).
    pub attempts: u32,
    /// Layer requests over every attempt.
    pub layer_requests: usize,
    /// Layer requests + one config GET per attempt (the manifest is fetched once).
    pub requests: usize,
    /// Body bytes of the layer requests over every attempt.
    pub bytes: u64,
    /// Config bytes over every attempt (when the config size is known).
    pub config_bytes: u64,
    /// The first failing layer's error.
    pub error: Option<String>,
}

/// How the registry answers one request for a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// 206 with the ranges asked for (or 200 to a GET without `Range`).
    AsAsked,
    /// 200 with the whole blob.
    Whole,
    /// A plain 206 with the first range only.
    FirstRangeOnly,
    /// An error status.
    Refused(u16),
}

/// The answer to a request with `n` ranges (0: no `Range` header). `first` is whether this is
/// the first ranged request for the blob (for `first-200`).
fn answer(b: &RegistryBehaviour, n: usize, first: bool) -> Answer {
    if n == 0 {
        return Answer::AsAsked;
    }
    // The parser guarantees a status for `rejected`/`range-cap`; 416 if a caller built one
    // without.
    let refusal = b.status.unwrap_or(416);
    match b.class {
        BehaviourClass::Multipart => Answer::AsAsked,
        BehaviourClass::WholeBody if n >= 2 => Answer::Whole,
        BehaviourClass::Rejected if n >= 2 => Answer::Refused(refusal),
        BehaviourClass::FirstRangeOnly if n >= 2 => Answer::FirstRangeOnly,
        BehaviourClass::WholeBody | BehaviourClass::Rejected | BehaviourClass::FirstRangeOnly => {
            Answer::AsAsked
        }
        BehaviourClass::RangeCap => {
            if n as u64 > u64::from(b.cap.unwrap_or(u32::MAX)) {
                Answer::Refused(refusal)
            } else {
                Answer::AsAsked
            }
        }
        BehaviourClass::NoRange => Answer::Whole,
        BehaviourClass::First200 if first => Answer::Whole,
        BehaviourClass::First200 => Answer::AsAsked,
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        416 => "Requested Range Not Satisfiable",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Whether containers/common's `IsErrorRetryable` retries this refusal (see the module doc).
pub fn retryable(status: u16, body: ErrorBody) -> bool {
    (400..500).contains(&status) && body == ErrorBody::Json
}

/// containers/image's text for a refused `GetBlobAt` (`fetching partial blob: …`).
fn refusal_text(status: u16, body: ErrorBody) -> String {
    let inner = if status >= 500 {
        format!(
            "received unexpected HTTP status: {status} {}",
            reason(status)
        )
    } else if body == ErrorBody::Json {
        format!(
            "CODE: message (the registry's JSON error, on a {status} {})",
            reason(status)
        )
    } else {
        format!("StatusCode: {status}, \"…\" (the first 50 bytes of the body)")
    };
    format!("fetching partial blob: {inner}")
}

/// One attempt at one layer.
struct Attempt {
    requests: Vec<PredictedRequest>,
    outcome: Outcome,
    /// The error and whether podman retries it.
    error: Option<(String, bool)>,
}

impl Attempt {
    /// The attempt ends here, failed with `error` (`retried`: whether podman retries it).
    fn fail(mut self, error: String, retried: bool) -> Attempt {
        self.outcome = Outcome::Fails;
        self.error = Some((error, retried));
        self
    }
}

/// The halving pass: `mergeMissingChunks(parts, len(chunks)/2)` on parts already merged once.
/// After the first pass no two network parts touch and every gap is over 1 KiB, so the parts
/// are the ranges themselves (local and hole parts between them play no part in the gaps).
pub fn halve(ranges: &[ByteRange]) -> Vec<ByteRange> {
    let parts: Vec<Part> = ranges
        .iter()
        .enumerate()
        .map(|(i, r)| Part {
            offset: r.offset,
            length: r.length,
            source: Source::Remote,
            file: i,
        })
        .collect();
    merge_missing_chunks(&parts, ranges.len() / 2).ranges
}

fn attempt_layer(
    l: &LayerPlan,
    o: &PredictOptions,
    attempt: u32,
    seen: &mut BTreeSet<String>,
) -> Attempt {
    let size = l.full_pull_bytes;
    let mut a = Attempt {
        requests: Vec::new(),
        outcome: Outcome::Partial,
        error: None,
    };
    let mut send = |kind: RequestKind, ranges: Vec<ByteRange>, a: &mut Attempt| -> Answer {
        let first = !ranges.is_empty() && seen.insert(l.digest.clone());
        let ans = answer(&o.behaviour, ranges.len(), first);
        let (status, bytes) = match ans {
            Answer::AsAsked if ranges.is_empty() => (200, size),
            Answer::AsAsked => (206, ranges.iter().map(|r| r.length).sum()),
            Answer::Whole => (200, size),
            Answer::FirstRangeOnly => (206, ranges.first().map_or(0, |r| r.length)),
            Answer::Refused(s) => (s, 0),
        };
        if ans == Answer::Whole && kind != RequestKind::Full {
            a.outcome = Outcome::DoubleDownload;
        }
        a.requests.push(PredictedRequest {
            kind,
            ranges,
            bytes,
            status,
            attempt,
        });
        ans
    };
    for planned in &l.request_list {
        match planned.kind {
            RequestKind::Metadata => {
                match send(RequestKind::Metadata, planned.ranges.clone(), &mut a) {
                    Answer::AsAsked | Answer::Whole => {
                        // The metadata arrived; a layer the reference rejects on its content (a
                        // TOC/tar-split mismatch, …) fails here whatever the registry, not retried.
                        if let Some(v) = l
                            .verdict
                            .as_ref()
                            .filter(|v| v.outcome == PullOutcome::Fails)
                        {
                            let prefix = format!("partial pull of blob {}: ", l.digest);
                            let text = v.error.as_deref().unwrap_or(&v.reason);
                            return a
                                .fail(text.strip_prefix(&prefix).unwrap_or(text).into(), false);
                        }
                    }
                    Answer::Refused(400) => {
                        // ErrFallbackToOrdinaryLayerDownload: one plain GET, nothing else.
                        send(RequestKind::Full, Vec::new(), &mut a);
                        a.outcome = Outcome::FullFallback;
                        return a;
                    }
                    Answer::Refused(s) => {
                        return a.fail(
                            format!(
                                "read zstd:chunked manifest: {}",
                                refusal_text(s, o.error_body)
                            ),
                            retryable(s, o.error_body),
                        );
                    }
                    Answer::FirstRangeOnly => {
                        return a.fail("read zstd:chunked manifest: stream closed".into(), false);
                    }
                }
            }
            RequestKind::Data => {
                let mut ranges = planned.ranges.clone();
                loop {
                    match send(RequestKind::Data, ranges.clone(), &mut a) {
                        Answer::AsAsked | Answer::Whole => break,
                        Answer::Refused(400) if ranges.len() > 1 => ranges = halve(&ranges),
                        Answer::Refused(400) => {
                            return a.fail(
                                "staging a partially-pulled layer: bad request".into(),
                                false,
                            );
                        }
                        Answer::Refused(s) => {
                            return a.fail(
                                format!(
                                    "staging a partially-pulled layer: {}",
                                    refusal_text(s, o.error_body)
                                ),
                                retryable(s, o.error_body),
                            );
                        }
                        Answer::FirstRangeOnly => {
                            return a.fail(
                                "staging a partially-pulled layer: invalid stream returned".into(),
                                false,
                            );
                        }
                    }
                }
            }
            RequestKind::Full => {
                send(RequestKind::Full, Vec::new(), &mut a);
            }
        }
    }
    a
}

/// Adds the prediction for `o` to every layer of `plan` and to its totals.
pub fn predict(plan: &mut PullPlan, o: &PredictOptions) {
    let mut seen = BTreeSet::new();
    let mut per_layer: Vec<LayerPrediction> = plan
        .layers
        .iter()
        .map(|_| LayerPrediction {
            outcome: Outcome::Partial,
            requests: Vec::new(),
            bytes: 0,
            error: None,
        })
        .collect();
    let mut attempts = 0;
    let mut error = None;
    loop {
        attempts += 1;
        let mut failure: Option<(String, bool)> = None;
        for (l, p) in plan.layers.iter().zip(per_layer.iter_mut()) {
            if l.reused {
                continue;
            }
            let a = attempt_layer(l, o, attempts, &mut seen);
            p.outcome = a.outcome;
            p.bytes += a.requests.iter().map(|r| r.bytes).sum::<u64>();
            p.requests.extend(a.requests);
            if let Some((text, retry)) = a.error {
                let text = format!("partial pull of blob {}: {text}", l.digest);
                if failure.is_none() {
                    failure = Some((text.clone(), retry));
                }
                p.error = Some(text);
            }
        }
        match failure {
            Some((text, retry)) => {
                error = Some(text);
                if !retry || attempts > o.retries {
                    break;
                }
            }
            None => break,
        }
    }
    let layer_requests = per_layer.iter().map(|p| p.requests.len()).sum();
    let outcome = [
        Outcome::Fails,
        Outcome::FullFallback,
        Outcome::DoubleDownload,
    ]
    .into_iter()
    .find(|w| per_layer.iter().any(|p| p.outcome == *w))
    .unwrap_or(Outcome::Partial);
    let config_bytes = o.config_bytes.unwrap_or(0) * u64::from(attempts);
    plan.totals.predicted = Some(PredictedTotals {
        behaviour: o.behaviour.to_string(),
        error_body: o.error_body,
        outcome,
        attempts,
        layer_requests,
        requests: layer_requests + attempts as usize,
        bytes: per_layer.iter().map(|p| p.bytes).sum(),
        config_bytes,
        error,
    });
    for (l, p) in plan.layers.iter_mut().zip(per_layer) {
        if !l.reused {
            l.predicted = Some(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(n: usize) -> Vec<ByteRange> {
        // Gaps 2 KiB + i: all over the auto-merge threshold, all different.
        let mut off = 0;
        (0..n)
            .map(|i| {
                let s = ByteRange {
                    offset: off,
                    length: 100,
                };
                off += 100 + 2048 + i as u64;
                s
            })
            .collect()
    }

    #[test]
    fn halving_leaves_half_minus_one() {
        let mut r = spans(365);
        let mut seq = vec![r.len()];
        while r.len() > 64 {
            r = halve(&r);
            seq.push(r.len());
        }
        assert_eq!(seq, [365, 181, 89, 43]);
        let mut r = spans(442);
        let mut seq = vec![r.len()];
        while r.len() > 64 {
            r = halve(&r);
            seq.push(r.len());
        }
        assert_eq!(seq, [442, 220, 109, 53]);
        // Down to one range, never zero.
        assert_eq!(halve(&spans(3)).len(), 1);
        assert_eq!(halve(&spans(2)).len(), 1);
    }

    #[test]
    fn answers_by_class() {
        let b = |s: &str| s.parse::<RegistryBehaviour>().unwrap();
        assert_eq!(answer(&b("multipart"), 442, true), Answer::AsAsked);
        assert_eq!(answer(&b("whole-body"), 2, false), Answer::Whole);
        assert_eq!(answer(&b("whole-body"), 1, false), Answer::AsAsked);
        assert_eq!(answer(&b("rejected:501"), 2, false), Answer::Refused(501));
        assert_eq!(answer(&b("range-cap:400:64"), 64, false), Answer::AsAsked);
        assert_eq!(
            answer(&b("range-cap:400:64"), 65, false),
            Answer::Refused(400)
        );
        assert_eq!(
            answer(&b("first-range-only"), 2, false),
            Answer::FirstRangeOnly
        );
        assert_eq!(answer(&b("no-range"), 1, false), Answer::Whole);
        assert_eq!(answer(&b("first-200"), 2, true), Answer::Whole);
        assert_eq!(answer(&b("first-200"), 2, false), Answer::AsAsked);
        for c in ["no-range", "rejected:400", "first-range-only"] {
            assert_eq!(answer(&b(c), 0, true), Answer::AsAsked);
        }
    }

    #[test]
    fn error_bodies_as_containers_image_parses_them() {
        let json = br#"{"errors":[{"code":"RANGE_INVALID","message":"too many ranges"}]}"#;
        assert_eq!(error_body_of(json), ErrorBody::Json);
        assert_eq!(error_body_of(br#"{"details":"nope"}"#), ErrorBody::Json);
        assert_eq!(error_body_of(br#"{"errors":[]}"#), ErrorBody::Text);
        assert_eq!(error_body_of(b""), ErrorBody::Text);
        assert_eq!(error_body_of(b"Unsupported client range"), ErrorBody::Text);
        assert_eq!(error_body_of(b"<html>416</html>"), ErrorBody::Text);
    }

    #[test]
    fn only_json_4xx_is_retried() {
        assert!(retryable(416, ErrorBody::Json));
        assert!(!retryable(416, ErrorBody::Text));
        assert!(!retryable(501, ErrorBody::Json));
        assert!(!retryable(501, ErrorBody::Text));
    }
}
