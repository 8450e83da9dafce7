//! Partial-pull planning: what pulling an image costs, given the images already present.
//!
//! Sans-IO: the planner works on layers that were already inspected (descriptor + the files read
//! from the TOC), so the CLI and the browser share it. For each wanted layer it answers two
//! questions:
//!
//! * **What the reference puller does** (containers/image + containers/storage as in podman 5.4,
//!   modelled in [`reference`](mod@reference) and [`ranges`]): whether the layer is reused outright (by blob or
//!   TOC digest), pulled whole (and why), or pulled partially: one metadata request with two
//!   ranges (TOC, tar-split), then one request with every missing range, after same-file
//!   coalescing, bridging of gaps ≤ 1 KiB and the 1023-range cap. Checked against podman 5.4.2's
//!   measured request logs in `tests/planner.rs`.
//! * **What chunkscope recommends** for registries that take one range per request
//!   ([`single_range`]): the metadata as one range (TOC through tar-split), then, for a budget of K
//!   requests, the least bytes (bridge the N−K smallest gaps), and the whole requests↔bytes curve.
//!
//! It also prices the reference's plan against a registry that answers multi-range requests with
//! `200` and the whole blob (S3, minio, nginx `max_ranges 1`: containers/image#2792), which the
//! reference accepts silently: one whole blob per multi-range request.
//!
//! [`predict`](mod@predict) then replays the reference's plan against a registry's behaviour
//! class (`registry::behaviour`): what podman really requests and receives there, with the
//! halving retries, fallbacks, double downloads and the retries of a failing pull.

pub mod predict;
pub mod ranges;
pub mod reference;
pub mod single_range;

use crate::image::InspectedImage;
use crate::inspect::eligibility::{PullOutcome, PullVerdict};
use crate::inspect::report::EstargzReport;
use crate::inspect::report::LayerReport;
use crate::inspect::LayerModel;
use crate::model::LayerFiles;
use crate::oci::Descriptor;
use ranges::{merge_missing_chunks, ByteRange, MAX_NUMBER_MISSING_CHUNKS};
pub use reference::ReuseReason;
use reference::{classify, HaveIndex, Metadata, Route};
use serde::Serialize;
use single_range::{CurvePoint, SingleRange, AUTO_BUDGET_REQUEST_COST, CURVE_POINTS};

/// Planner options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanOptions {
    /// Reuse chunks of changed multi-chunk files found by `chunkDigest` in the store. podman 5.4
    /// (containers/storage 1.57) does on any filesystem; the newest containers/storage only where
    /// reflinks work. Default on.
    pub chunk_reuse: bool,
    /// `use_hard_links = "true"`: files are looked up by hard-link fingerprint (digest, uid, gid,
    /// mode, xattrs) instead of by digest alone. Default off, as in containers/storage.
    pub hard_links: bool,
    /// The request budget K for the single-range plan (data requests per layer). `None`: chosen per
    /// layer to minimise `bytes + requests × 4 KiB` (see [`single_range::AUTO_BUDGET_REQUEST_COST`]).
    pub budget: Option<usize>,
    /// `insecure_allow_unpredictable_image_contents = "true"`: the reference pulls eStargz layers
    /// partially (footer, TOC, missing chunks) instead of whole. Default off, as in
    /// containers/storage.
    pub insecure_allow_unpredictable_image_contents: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            chunk_reuse: true,
            hard_links: false,
            budget: None,
            insecure_allow_unpredictable_image_contents: false,
        }
    }
}

/// One layer as the planner needs it: its descriptor and what its TOC said.
#[derive(Debug, Clone, Copy)]
pub struct LayerInput<'a> {
    /// Digest, size, media type and annotations.
    pub descriptor: &'a Descriptor,
    /// The files from the TOC; `None` when the TOC was not (or could not be) read.
    pub files: Option<&'a LayerFiles>,
    /// Whether the TOC has a `tarSplitDigest` (without it the reference pulls the layer whole).
    pub tar_split_digest: bool,
    /// Why the TOC could not be read, if it could not.
    pub error: Option<&'a crate::error::Error>,
    /// The inspection's verdict ([`crate::inspect::eligibility`]), when the layer was inspected:
    /// a non-partial verdict found in the metadata (e.g. a TOC/tar-split mismatch) decides.
    pub verdict: Option<&'a PullVerdict>,
    /// eStargz details from the inspection (eStargz and stargz-snapshotter zstd:chunked layers).
    pub estargz: Option<&'a EstargzReport>,
}

impl<'a> LayerInput<'a> {
    /// From an inspected layer's report and model (the TOC alone is enough: `tar_split: false`
    /// inspections do).
    pub fn new(
        descriptor: &'a Descriptor,
        report: &'a LayerReport,
        model: &'a LayerModel,
    ) -> LayerInput<'a> {
        LayerInput {
            descriptor,
            files: model.files.as_ref(),
            tar_split_digest: model.tar_split_digest.is_some(),
            error: report.error.as_ref(),
            verdict: Some(&model.verdict),
            estargz: report.estargz.as_ref(),
        }
    }

    /// All layers of an inspected image, in manifest order.
    pub fn image(img: &'a InspectedImage) -> Vec<LayerInput<'a>> {
        img.manifest
            .layers
            .iter()
            .zip(&img.report.layers)
            .zip(&img.layers)
            .map(|((d, r), m)| LayerInput::new(d, r, m))
            .collect()
    }
}

/// The kind of a planned (or predicted) request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestKind {
    /// TOC and tar-split (two ranges), or the eStargz footer.
    Metadata,
    /// The missing chunks.
    Data,
    /// The whole blob, no `Range` header.
    Full,
}

impl RequestKind {
    /// Every kind, in request order.
    pub const ALL: [RequestKind; 3] = [RequestKind::Metadata, RequestKind::Data, RequestKind::Full];

    /// The kind in words, for people.
    pub fn describe(self) -> &'static str {
        match self {
            RequestKind::Metadata => "metadata",
            RequestKind::Data => "data",
            RequestKind::Full => "full",
        }
    }
}

impl std::fmt::Display for RequestKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// One HTTP request of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedRequest {
    /// What the request is for.
    pub kind: RequestKind,
    /// The ranges of the `Range` header, ascending (empty for `full`).
    pub ranges: Vec<ByteRange>,
    /// Bytes asked for (the sum of the ranges; the blob size for `full`).
    pub bytes: u64,
}

/// chunkscope's plan for registries that take one range per request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SingleRangePlan {
    /// K: the data requests allowed (the given budget, or the automatic one; 0 when no data is
    /// needed).
    pub budget: usize,
    /// The metadata read as one range, TOC through tar-split (the 8 bytes between included).
    pub metadata_bytes: u64,
    /// N: the missing ranges when nothing is bridged; more requests than this never help.
    pub data_ranges: usize,
    /// Requests for the layer at this budget, the metadata request included.
    pub requests: usize,
    /// Bytes for the layer at this budget, the metadata included.
    pub bytes: u64,
    /// The data ranges at this budget, one request each.
    pub ranges: Vec<ByteRange>,
    /// Data requests ↔ data bytes from 1 request to N (metadata excluded: add one request and
    /// `metadataBytes` for the layer's total), at most 64 points, always with 1 and N.
    pub curve: Vec<CurvePoint>,
}

/// The plan for one wanted layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerPlan {
    /// 1-based position in the wanted image.
    pub index: usize,
    /// The layer's blob digest.
    pub digest: String,
    /// Already in the store: nothing is requested.
    pub reused: bool,
    /// How the reuse was found.
    pub reused_by: Option<ReuseReason>,
    /// Why the layer is not pulled partially, or `null` for a partial pull (or a reused layer):
    /// the reason of a full pull, or `the pull fails: …` with the puller's error.
    pub fallback: Option<String>,
    /// The reference puller's verdict for the layer (`null` when reused), the same value as the
    /// inspection's `partialPull` (`partial` when the layer was planned without an inspection).
    pub verdict: Option<PullVerdict>,
    /// Bytes of the metadata request (TOC + tar-split, two ranges).
    pub metadata_bytes: u64,
    /// 1 when the metadata is read, else 0.
    pub metadata_requests: usize,
    /// Non-empty regular files not found in the store by digest (or fingerprint).
    pub missing_files: usize,
    /// Non-empty regular files found in the store.
    pub local_files: usize,
    /// Chunks of the missing files that must come from the registry.
    pub missing_chunks: usize,
    /// Chunks of the missing files found in the store by `chunkDigest`.
    pub local_chunks: usize,
    /// `zeros` chunks of the missing files: never fetched on their own.
    pub zero_chunks: usize,
    /// Compressed bytes of the missing chunks (exact extents, before any bridging).
    pub missing_bytes: u64,
    /// Ranges of the data request.
    pub ranges: usize,
    /// HTTP requests for the layer (metadata, data, or one full GET).
    pub requests: usize,
    /// Ranges in each request, in order (0 = a GET without `Range`: the whole blob).
    pub ranges_per_request: Vec<usize>,
    /// Bytes requested for the layer: metadata + data ranges (bridged gaps included), or the blob.
    pub fetch_bytes: u64,
    /// Data bytes fetched beyond the missing chunks: bridged gaps, local and zeros chunks
    /// absorbed by them, and the reference's over-read past a multi-chunk file's last chunk.
    pub bridged_bytes: u64,
    /// What an ordinary pull downloads: the blob size.
    pub full_pull_bytes: u64,
    /// `fullPullBytes − fetchBytes` (negative when the partial pull costs more).
    pub saved_bytes: i64,
    /// chunkscope's single-range plan for this layer.
    pub single_range: SingleRangePlan,
    /// The reference's plan against a registry that answers multi-range requests with 200 and
    /// the whole blob: each request with 2 or more ranges costs the blob size.
    pub ignores_multi_range_bytes: u64,
    /// The requests, in order.
    pub request_list: Vec<PlannedRequest>,
    /// What the reference really does on the registry's behaviour ([`predict`](mod@predict)),
    /// when one was given; absent for reused layers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted: Option<predict::LayerPrediction>,
}

/// Totals over the wanted image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanTotals {
    /// Layers of the wanted image.
    pub layers: usize,
    /// Layers already in the store.
    pub reused_layers: usize,
    /// Layers pulled whole.
    pub fallback_layers: usize,
    /// Layers whose verdict is `fails`: the reference's pull of this image fails.
    pub failing_layers: usize,
    /// Sum of the layers' `metadataBytes`.
    pub metadata_bytes: u64,
    /// Sum of the layers' `metadataRequests`.
    pub metadata_requests: usize,
    /// Sum of the layers' `missingFiles`.
    pub missing_files: usize,
    /// Sum of the layers' `localFiles`.
    pub local_files: usize,
    /// Sum of the layers' `missingChunks`.
    pub missing_chunks: usize,
    /// Sum of the layers' `localChunks`.
    pub local_chunks: usize,
    /// Sum of the layers' `missingBytes`.
    pub missing_bytes: u64,
    /// Sum of the layers' `ranges`.
    pub ranges: usize,
    /// Sum of the layers' `requests`.
    pub requests: usize,
    /// Sum of the layers' `fetchBytes`.
    pub fetch_bytes: u64,
    /// Sum of the layers' `fullPullBytes`.
    pub full_pull_bytes: u64,
    /// `fullPullBytes − fetchBytes`.
    pub saved_bytes: i64,
    /// chunkscope's single-range plan over all layers.
    pub single_range: SingleRangeTotals,
    /// Sum of the layers' `ignoresMultiRangeBytes`.
    pub ignores_multi_range_bytes: u64,
    /// The prediction over the whole pull, when a registry behaviour was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted: Option<predict::PredictedTotals>,
}

/// The single-range plans summed over the wanted image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SingleRangeTotals {
    /// Requests of all layers' single-range plans.
    pub requests: usize,
    /// Bytes of all layers' single-range plans.
    pub bytes: u64,
}

/// The plan for a whole image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PullPlan {
    /// The options the plan was made with.
    pub options: PlanOptions,
    /// One plan per layer of the wanted image, in manifest order.
    pub layers: Vec<LayerPlan>,
    /// The sums over the layers.
    pub totals: PlanTotals,
}

/// Plans pulling the `want` layers into a store that holds the `have` layers (all layers of the
/// images already pulled).
pub fn plan_pull(want: &[LayerInput<'_>], have: &[LayerInput<'_>], opts: &PlanOptions) -> PullPlan {
    let index = HaveIndex::build(
        have,
        opts.hard_links,
        opts.insecure_allow_unpredictable_image_contents,
    );
    let layers: Vec<LayerPlan> = want
        .iter()
        .enumerate()
        .map(|(i, l)| plan_layer(i + 1, l, &index, opts))
        .collect();
    let mut t = PlanTotals {
        layers: layers.len(),
        ..PlanTotals::default()
    };
    for l in &layers {
        t.reused_layers += usize::from(l.reused);
        t.fallback_layers += usize::from(l.fallback.is_some());
        t.failing_layers += usize::from(
            l.verdict
                .as_ref()
                .is_some_and(|v| v.outcome == PullOutcome::Fails),
        );
        t.metadata_bytes += l.metadata_bytes;
        t.metadata_requests += l.metadata_requests;
        t.missing_files += l.missing_files;
        t.local_files += l.local_files;
        t.missing_chunks += l.missing_chunks;
        t.local_chunks += l.local_chunks;
        t.missing_bytes += l.missing_bytes;
        t.ranges += l.ranges;
        t.requests += l.requests;
        t.fetch_bytes += l.fetch_bytes;
        t.full_pull_bytes += l.full_pull_bytes;
        t.saved_bytes += l.saved_bytes;
        t.single_range.requests += l.single_range.requests;
        t.single_range.bytes += l.single_range.bytes;
        t.ignores_multi_range_bytes += l.ignores_multi_range_bytes;
    }
    PullPlan {
        options: *opts,
        layers,
        totals: t,
    }
}

fn plan_layer(
    index: usize,
    input: &LayerInput<'_>,
    have: &HaveIndex<'_>,
    opts: &PlanOptions,
) -> LayerPlan {
    let size = input.descriptor.size;
    let mut p = LayerPlan {
        index,
        digest: input.descriptor.digest.clone(),
        full_pull_bytes: size,
        ..LayerPlan::default()
    };
    let metadata_request = |m: &Metadata| {
        let ranges = m.reference_ranges();
        PlannedRequest {
            kind: RequestKind::Metadata,
            bytes: ranges.iter().map(|r| r.length).sum(),
            ranges,
        }
    };
    match reference::route(input, have) {
        Route::Reused(why) => {
            p.reused = true;
            p.reused_by = Some(why);
        }
        Route::Full { verdict, metadata } => {
            let fails = verdict.outcome == PullOutcome::Fails;
            p.fallback = Some(if fails {
                format!(
                    "the pull fails: {}",
                    verdict.error.as_deref().unwrap_or(&verdict.reason)
                )
            } else {
                verdict.reason.clone()
            });
            p.verdict = Some(verdict);
            let mut single = 0;
            if let Some(m) = &metadata {
                p.request_list.extend(m.footer_request());
                p.request_list.push(metadata_request(m));
                single = m.single_range().length + m.footer_bytes();
            }
            // A failing pull stops after the metadata: no ordinary GET follows.
            let body = if fails { 0 } else { size };
            if !fails {
                p.request_list.push(PlannedRequest {
                    kind: RequestKind::Full,
                    ranges: Vec::new(),
                    bytes: size,
                });
            }
            p.single_range = SingleRangePlan {
                metadata_bytes: single,
                requests: p.request_list.len(),
                bytes: single + body,
                ..SingleRangePlan::default()
            };
        }
        Route::Partial { metadata, files } => {
            p.verdict = Some(match (metadata.estargz_footer, input.estargz) {
                (Some(_), Some(e)) => reference::insecure_verdict(e),
                _ => input
                    .verdict
                    .filter(|v| v.is_partial())
                    .cloned()
                    .unwrap_or_else(PullVerdict::partial),
            });
            let missing = classify(
                files,
                metadata.toc.offset,
                have,
                opts.chunk_reuse,
                opts.hard_links,
                metadata.estargz_footer.is_some(),
            );
            p.missing_files = missing.files;
            p.local_files = missing.local_files;
            p.missing_chunks = missing.chunks;
            p.local_chunks = missing.local_chunks;
            p.zero_chunks = missing.zero_chunks;
            p.missing_bytes = missing.bytes;
            p.request_list.extend(metadata.footer_request());
            p.request_list.push(metadata_request(&metadata));
            let merged = merge_missing_chunks(&missing.parts, MAX_NUMBER_MISSING_CHUNKS);
            if !merged.ranges.is_empty() {
                p.ranges = merged.ranges.len();
                p.bridged_bytes = merged.bytes().saturating_sub(missing.bytes);
                p.request_list.push(PlannedRequest {
                    kind: RequestKind::Data,
                    bytes: merged.bytes(),
                    ranges: merged.ranges,
                });
            }
            // (inference) When every missing part is local or a hole, the reference still calls
            // GetBlobAt with no ranges at all; we count no request for it.

            let sr = SingleRange::new(missing.exact.iter().copied());
            let n = sr.unbridged();
            let k = if n == 0 {
                0
            } else {
                opts.budget
                    .unwrap_or_else(|| sr.auto_budget(AUTO_BUDGET_REQUEST_COST))
                    .clamp(1, n)
            };
            let meta = metadata.single_range().length + metadata.footer_bytes();
            p.single_range = SingleRangePlan {
                budget: if n == 0 {
                    0
                } else {
                    opts.budget.unwrap_or(k).max(1)
                },
                metadata_bytes: meta,
                data_ranges: n,
                requests: usize::from(metadata.estargz_footer.is_some()) + 1 + k,
                bytes: meta + sr.bytes(k),
                ranges: sr.ranges(k),
                curve: sr.curve(CURVE_POINTS),
            };
        }
    }
    for r in &p.request_list {
        p.ranges_per_request.push(r.ranges.len());
        p.fetch_bytes += r.bytes;
        p.ignores_multi_range_bytes += if r.ranges.len() >= 2 || r.kind == RequestKind::Full {
            size
        } else {
            r.bytes
        };
        if r.kind == RequestKind::Metadata {
            p.metadata_requests += 1;
            p.metadata_bytes += r.bytes;
        }
    }
    p.requests = p.request_list.len();
    p.saved_bytes = p.full_pull_bytes as i64 - p.fetch_bytes as i64;
    p
}
