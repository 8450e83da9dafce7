//! What the reference puller really does with a layer: a partial pull, an ordinary full pull, or
//! a failed pull. One set of rules, used by the inspection report (`partialPull`) and by the
//! planner (`fallback`, `verdict`), so the two can never disagree.
//!
//! The rules are containers/storage v1.57.2's (podman 5.4), `pkg/chunked`:
//! `GetDiffer` → `getProperDiffer` → `makeZstdChunkedDiffer` → `readZstdChunkedManifest` →
//! `ensureTOCMatchesTarSplit` (`storage_linux.go`, `compression_linux.go`). An error wrapped in
//! `ErrFallbackToOrdinaryLayerDownload` makes the puller (containers/image
//! `storage_dest.go` `PutBlobPartial` callers) fetch the layer with one ordinary GET; any other
//! error fails the pull with no fallback. The rules are applied in upstream's order: first what
//! the descriptor says (annotations, TOC size), then what the TOC says, then the tar-split.
//! The default pull options are assumed: `enable_partial_images = true`, `convert_images` and
//! `insecure_allow_unpredictable_image_contents` off, an overlay store.

use super::report::TocSize;
use super::MAX_TOC;
use crate::format::annotations::{
    ChunkedAnnotations, LayerAnnotations, Namespace, ESTARGZ_TOC_DIGEST, MANIFEST_CHECKSUM,
    NS_CURRENT,
};
use crate::oci::Descriptor;
use serde::Serialize;

/// The three things the reference puller can do with a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PullOutcome {
    /// The TOC is used: only missing files/chunks are fetched.
    Partial,
    /// `ErrFallbackToOrdinaryLayerDownload`: the whole blob is fetched with one ordinary GET.
    FullPull,
    /// Any other error: the pull of the image fails, with no fallback.
    Fails,
}

impl PullOutcome {
    /// Every outcome.
    pub const ALL: [PullOutcome; 3] = [
        PullOutcome::Partial,
        PullOutcome::FullPull,
        PullOutcome::Fails,
    ];
}

/// Which rule decided the verdict (wire spelling kebab-case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictCode {
    /// Every rule passed: partial pull.
    Eligible,
    /// Every rule that could be checked passed, but the tar-split was not read (TOC-only
    /// inspection), so whether it matches the TOC, without which the pull fails, is not known.
    TarSplitNotChecked,
    /// No `io.github.containers.zstd-chunked.manifest-checksum` and no eStargz annotation.
    NoTocAnnotation,
    /// Only the legacy `io.containers.zstd-chunked.*` annotations: read as "no TOC".
    LegacyAnnotations,
    /// Both a zstd:chunked and an eStargz TOC digest annotation.
    BothTocKinds,
    /// An annotation the reference parses (digest, positions, manifest type) is malformed.
    BadAnnotations,
    /// eStargz: refused without insecure mode (no tar-split, DiffID not provable).
    EstargzRefused,
    /// The TOC is over the 150 MiB limit (compressed or uncompressed).
    TocOverLimit,
    /// eStargz with insecure mode: the blob's last 51 bytes do not hold a hex TOC offset where
    /// the eStargz footer has one (stargz-snapshotter's zstd:chunked layers).
    EstargzFooterUnparsable,
    /// The TOC has no `tarSplitDigest`: the DiffID cannot be proven.
    NoTarSplitDigest,
    /// The TOC names a tar-split, but no `tarsplit-position` annotation locates it.
    NoTarSplitPosition,
    /// The TOC does not match its digest, does not decompress, or does not parse.
    InvalidToc,
    /// The tar-split does not match its digest, does not decompress, or does not parse.
    InvalidTarSplit,
    /// The TOC and the tar-split describe different entries (`ensureTOCMatchesTarSplit`).
    TocTarSplitMismatch,
    /// The metadata could not be read (the reference's read of the same ranges fails too).
    MetadataUnreadable,
}

impl VerdictCode {
    /// Every code, in the order of `types.d.ts`.
    pub const ALL: [VerdictCode; 15] = [
        VerdictCode::Eligible,
        VerdictCode::TarSplitNotChecked,
        VerdictCode::NoTocAnnotation,
        VerdictCode::LegacyAnnotations,
        VerdictCode::BothTocKinds,
        VerdictCode::BadAnnotations,
        VerdictCode::EstargzRefused,
        VerdictCode::TocOverLimit,
        VerdictCode::NoTarSplitDigest,
        VerdictCode::NoTarSplitPosition,
        VerdictCode::InvalidToc,
        VerdictCode::InvalidTarSplit,
        VerdictCode::TocTarSplitMismatch,
        VerdictCode::MetadataUnreadable,
        VerdictCode::EstargzFooterUnparsable,
    ];
}

/// The reference puller's verdict for one layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PullVerdict {
    /// Partial pull, full pull or failure.
    pub outcome: PullOutcome,
    /// Which rule decided.
    pub code: VerdictCode,
    /// Why, in one sentence.
    pub reason: String,
    /// For `fails`: the error text the puller prints (podman: `Error: … partial pull of blob
    /// sha256:…: …`). For `full-pull`: the message podman logs before the ordinary download
    /// (`Failed to retrieve partial blob: …`). `None` for `partial`.
    pub error: Option<String>,
    /// The upstream file and function whose rule decided this.
    pub source: RuleSource,
}

/// The upstream rule (containers/storage v1.57.2 file and function) that decided a verdict; the
/// wire spelling is the full citation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RuleSource {
    /// `pkg/chunked/storage_linux.go` `getProperDiffer`.
    #[serde(rename = "containers/storage v1.57.2 pkg/chunked/storage_linux.go getProperDiffer")]
    GetProperDiffer,
    /// `pkg/chunked/storage_linux.go` `makeZstdChunkedDiffer`.
    #[serde(
        rename = "containers/storage v1.57.2 pkg/chunked/storage_linux.go makeZstdChunkedDiffer"
    )]
    MakeZstdChunkedDiffer,
    /// `pkg/chunked/compression_linux.go` `readZstdChunkedManifest`.
    #[serde(
        rename = "containers/storage v1.57.2 pkg/chunked/compression_linux.go readZstdChunkedManifest"
    )]
    ReadZstdChunkedManifest,
    /// `pkg/chunked/compression_linux.go` `ensureTOCMatchesTarSplit`.
    #[serde(
        rename = "containers/storage v1.57.2 pkg/chunked/compression_linux.go ensureTOCMatchesTarSplit"
    )]
    EnsureTocMatchesTarSplit,
    /// `pkg/chunked/compression_linux.go` `readEstargzChunkedManifest`.
    #[serde(
        rename = "containers/storage v1.57.2 pkg/chunked/compression_linux.go readEstargzChunkedManifest"
    )]
    ReadEstargzChunkedManifest,
    /// `pkg/chunked/storage_linux.go` `makeEstargzChunkedDiffer`.
    #[serde(
        rename = "containers/storage v1.57.2 pkg/chunked/storage_linux.go makeEstargzChunkedDiffer"
    )]
    MakeEstargzChunkedDiffer,
}

impl RuleSource {
    /// Every rule.
    pub const ALL: [RuleSource; 6] = [
        RuleSource::GetProperDiffer,
        RuleSource::MakeZstdChunkedDiffer,
        RuleSource::ReadZstdChunkedManifest,
        RuleSource::EnsureTocMatchesTarSplit,
        RuleSource::ReadEstargzChunkedManifest,
        RuleSource::MakeEstargzChunkedDiffer,
    ];

    /// The upstream file and function, for people.
    pub fn describe(self) -> &'static str {
        match self {
            RuleSource::GetProperDiffer => "pkg/chunked/storage_linux.go getProperDiffer",
            RuleSource::MakeZstdChunkedDiffer => {
                "pkg/chunked/storage_linux.go makeZstdChunkedDiffer"
            }
            RuleSource::ReadZstdChunkedManifest => {
                "pkg/chunked/compression_linux.go readZstdChunkedManifest"
            }
            RuleSource::EnsureTocMatchesTarSplit => {
                "pkg/chunked/compression_linux.go ensureTOCMatchesTarSplit"
            }
            RuleSource::ReadEstargzChunkedManifest => {
                "pkg/chunked/compression_linux.go readEstargzChunkedManifest"
            }
            RuleSource::MakeEstargzChunkedDiffer => {
                "pkg/chunked/storage_linux.go makeEstargzChunkedDiffer"
            }
        }
    }
}

impl std::fmt::Display for RuleSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "containers/storage v1.57.2 {}", self.describe())
    }
}

/// The text of a non-fallback error from `makeZstdChunkedDiffer`, as the pull reports it after
/// `partial pull of blob …: ` (the wording of containers/image's `storage_dest.go` around the
/// `GetDiffer` error).
pub fn reading_manifest(inner: &str) -> String {
    format!("read zstd:chunked manifest: {inner}")
}

impl PullVerdict {
    /// Every rule passed.
    pub fn partial() -> PullVerdict {
        PullVerdict {
            outcome: PullOutcome::Partial,
            code: VerdictCode::Eligible,
            reason:
                "the reference puller reads the TOC and tar-split and pulls only what is missing"
                    .into(),
            error: None,
            source: RuleSource::MakeZstdChunkedDiffer,
        }
    }

    /// `ErrFallbackToOrdinaryLayerDownload(inner)`: podman logs `Failed to retrieve partial
    /// blob: {inner}` and fetches the layer whole.
    fn full(code: VerdictCode, reason: String, inner: &str, source: RuleSource) -> PullVerdict {
        PullVerdict {
            outcome: PullOutcome::FullPull,
            code,
            reason,
            error: Some(format!("Failed to retrieve partial blob: {inner}")),
            source,
        }
    }

    /// A pull that fails with `partial pull of blob {blob}: {inner}` (containers/image's
    /// `storage_dest.go` wording); for an error of `makeZstdChunkedDiffer`, `inner` is
    /// [`reading_manifest`]'s text.
    pub fn fails(
        blob: &str,
        code: VerdictCode,
        reason: String,
        inner: &str,
        source: RuleSource,
    ) -> PullVerdict {
        PullVerdict {
            outcome: PullOutcome::Fails,
            code,
            reason,
            error: Some(format!("partial pull of blob {blob}: {inner}")),
            source,
        }
    }

    /// The TOC and the tar-split disagree: `inner` is `ensureTOCMatchesTarSplit`'s error text.
    pub fn toc_tar_split_mismatch(blob: &str, inner: &str) -> PullVerdict {
        PullVerdict::fails(
            blob,
            VerdictCode::TocTarSplitMismatch,
            "the TOC and the tar-split describe different entries: the reference puller refuses the layer and the pull fails, with no fallback to a full pull".into(),
            &reading_manifest(&format!("tar-split and TOC data is inconsistent: {inner}")),
            RuleSource::EnsureTocMatchesTarSplit,
        )
    }

    /// The metadata could not be read, decompressed or validated (`what` says which).
    pub fn invalid_metadata(blob: &str, code: VerdictCode, inner: &str) -> PullVerdict {
        PullVerdict::fails(
            blob,
            code,
            format!("the layer's metadata is unusable ({inner}): the reference puller fails on this layer"),
            &reading_manifest(inner),
            RuleSource::ReadZstdChunkedManifest,
        )
    }

    /// Partial, provided the tar-split (not read) matches the TOC.
    pub fn partial_unchecked() -> PullVerdict {
        PullVerdict {
            outcome: PullOutcome::Partial,
            code: VerdictCode::TarSplitNotChecked,
            reason: "partial pull if the tar-split matches the TOC: it was not read (TOC-only inspection), and a mismatch makes the reference pull fail".into(),
            error: None,
            source: RuleSource::EnsureTocMatchesTarSplit,
        }
    }

    /// Before any rule ran (the layer's metadata was not read).
    pub fn not_read() -> PullVerdict {
        PullVerdict {
            outcome: PullOutcome::Fails,
            code: VerdictCode::MetadataUnreadable,
            reason: "the layer's metadata was not read".into(),
            error: None,
            source: RuleSource::ReadZstdChunkedManifest,
        }
    }

    /// Whether the layer is pulled partially.
    pub fn is_partial(&self) -> bool {
        self.outcome == PullOutcome::Partial
    }
}

/// The rules that need only the descriptor. `Ok` with its annotations when the reference reads
/// the layer's metadata; `Err(verdict)` when it decides without reading any.
pub fn by_descriptor(desc: &Descriptor) -> Result<ChunkedAnnotations, PullVerdict> {
    let blob = desc.digest.as_str();
    // getProperDiffer looks at exactly two keys (only the current namespace's checksum).
    let current = desc
        .annotations
        .contains_key(&format!("{NS_CURRENT}{MANIFEST_CHECKSUM}"));
    let estargz = desc.annotations.contains_key(ESTARGZ_TOC_DIGEST);
    if current && estargz {
        return Err(PullVerdict::fails(
            blob,
            VerdictCode::BothTocKinds,
            "both a zstd:chunked and an eStargz TOC digest annotation: the reference puller fails"
                .into(),
            "both zstd:chunked and eStargz TOC found",
            RuleSource::GetProperDiffer,
        ));
    }
    let parsed = LayerAnnotations::parse(&desc.annotations);
    let a = match parsed {
        Ok(LayerAnnotations::ZstdChunked(a)) if a.namespace == Namespace::Current => a,
        Err(e) if current => {
            return Err(PullVerdict::fails(
                blob,
                VerdictCode::BadAnnotations,
                format!("unusable zstd:chunked annotations ({e}): the reference puller fails on this layer"),
                &reading_manifest(&e.to_string()),
                RuleSource::ReadZstdChunkedManifest,
            ))
        }
        _ if estargz => {
            return Err(PullVerdict::full(
                VerdictCode::EstargzRefused,
                "eStargz layer: the reference puller refuses a partial pull unless insecure mode is on (no tar-split, DiffID not provable), and pulls it whole".into(),
                "estargz layers don't support partial pulls with guaranteed consistency with non-partial pulls",
                RuleSource::MakeEstargzChunkedDiffer,
            ))
        }
        Ok(LayerAnnotations::ZstdChunked(_)) => {
            return Err(PullVerdict::full(
                VerdictCode::LegacyAnnotations,
                "legacy io.containers.zstd-chunked.* annotations: current pullers do not recognise them (\"no TOC found\") and pull the layer whole".into(),
                "no TOC found and convert_images is not configured",
                RuleSource::GetProperDiffer,
            ))
        }
        _ => {
            let mt = if desc.media_type.is_empty() {
                "no media type"
            } else {
                &desc.media_type
            };
            return Err(PullVerdict::full(
                VerdictCode::NoTocAnnotation,
                format!("no zstd:chunked TOC annotation ({mt}): the reference puller finds no TOC and pulls the layer whole"),
                "no TOC found and convert_images is not configured",
                RuleSource::GetProperDiffer,
            ));
        }
    };
    for (what, n) in [
        (TocSize::Compressed, a.toc.length),
        (TocSize::Uncompressed, a.toc.uncompressed_length),
    ] {
        if n > MAX_TOC {
            return Err(PullVerdict::toc_over_limit(what, n));
        }
    }
    Ok(a)
}

impl PullVerdict {
    /// The TOC (`what`: compressed or uncompressed) is over `maxTocSize`: the reference puller
    /// never reads it and pulls the layer whole.
    pub fn toc_over_limit(what: TocSize, n: u64) -> PullVerdict {
        let what = what.adjective();
        PullVerdict::full(
            VerdictCode::TocOverLimit,
            format!("TOC of {n} bytes ({what}) is over the reference puller's 150 MiB limit: the layer is pulled whole"),
            &format!("read zstd:chunked manifest: zstd:chunked manifest too big to process in memory ({n} bytes {what})"),
            RuleSource::ReadZstdChunkedManifest,
        )
    }
}

/// The rules that need the TOC, for a layer that passed [`by_descriptor`].
pub fn by_toc(
    blob: &str,
    a: &ChunkedAnnotations,
    tar_split_digest: bool,
) -> Result<(), PullVerdict> {
    // Upstream takes a tarsplit-position offset of 0 as "no position".
    if tar_split_digest && a.tar_split.is_none_or(|t| t.offset == 0) {
        return Err(PullVerdict::fails(
            blob,
            VerdictCode::NoTarSplitPosition,
            "the TOC names a tar-split but there is no tarsplit-position annotation: the reference puller fails on this layer".into(),
            &reading_manifest("TOC requires a tar-split, but the io.github.containers.zstd-chunked.tarsplit-position annotation does not describe a position"),
            RuleSource::ReadZstdChunkedManifest,
        ));
    }
    if !tar_split_digest {
        return Err(PullVerdict::full(
            VerdictCode::NoTarSplitDigest,
            "no tarSplitDigest in the TOC (written before containers/storage 1.54): the DiffID cannot be proven, so after reading the metadata the reference puller pulls the layer whole (unless insecure mode is on)".into(),
            "zstd:chunked layers without tar-split data don't support partial pulls with guaranteed consistency with non-partial pulls",
            RuleSource::MakeZstdChunkedDiffer,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_spelling() {
        let v = PullVerdict::toc_tar_split_mismatch("sha256:ab", "x");
        let j = serde_json::to_value(&v).unwrap();
        assert_eq!(j["outcome"], "fails");
        assert_eq!(j["code"], "toc-tar-split-mismatch");
        assert_eq!(
            j["error"],
            "partial pull of blob sha256:ab: read zstd:chunked manifest: tar-split and TOC data is inconsistent: x"
        );
        assert_eq!(
            serde_json::to_value(PullOutcome::FullPull).unwrap(),
            "full-pull"
        );
    }
}
