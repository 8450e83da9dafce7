//! The inspection report: one serde model for the CLI's `--json` and the browser API.
//!
//! Field names are the public schema (documented in README.md); both front ends serialize these
//! same structs, so they cannot drift apart.

use crate::format::annotations::Namespace;
pub use crate::format::layer_format::LayerFormat;
use crate::format::tarsplit::TocTarSplitDifference;
use crate::format::toc::EntryType;
use crate::inspect::eligibility::{PullOutcome, PullVerdict, RuleSource, VerdictCode};
use crate::inspect::hazards::PullHazard;
use crate::model::{Chunk, FileEntry};
use serde::Serialize;
use std::collections::BTreeMap;

/// Everything learned about one layer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerReport {
    /// The blob digest (`sha256:…`), as the descriptor gives it.
    pub digest: String,
    /// The descriptor's media type.
    pub media_type: String,
    /// The blob size in bytes, as the descriptor gives it.
    pub size: u64,
    /// What kind of layer it is.
    pub format: LayerFormat,
    /// Which annotations described the metadata.
    pub annotations: AnnotationNamespace,
    /// Where the TOC is, and whether its digest was verified; `None` when no TOC was located.
    pub toc: Option<SectionReport>,
    /// Where the tar-split is (annotated or in the footer), and what reading it found.
    pub tar_split: Option<TarSplitReport>,
    /// The footer, when it was read (no annotations, the `footer` option, eStargz).
    pub footer: Option<FooterReport>,
    /// TOC entries, counting `chunk` entries.
    pub entries: usize,
    /// Regular files.
    pub files: usize,
    /// Directories.
    pub directories: usize,
    /// Symbolic links.
    pub symlinks: usize,
    /// Hard links.
    pub hardlinks: usize,
    /// Chunks of all regular files (a single-chunk file counts one).
    pub chunks: usize,
    /// Chunks of type `zeros` (holes: nothing to fetch).
    pub zero_chunks: usize,
    /// Regular files stored in more than one chunk.
    pub multi_chunk_files: usize,
    /// Compressed bytes of all file payloads.
    pub payload_bytes: u64,
    /// Check name → its state and what was compared (and why it failed).
    pub checks: BTreeMap<CheckName, Check>,
    /// What the reference puller does with the layer ([`crate::inspect::eligibility`]).
    pub partial_pull: PartialPull,
    /// The TOC ↔ tar-split differences, one per entry, in containers/storage's terms (at most
    /// 20; empty when they agree or the tar-split was not read).
    pub toc_tar_split_differences: Vec<TocTarSplitDifference>,
    /// What the stored layer loses, by kind of pull ([`crate::inspect::hazards`]); only kinds
    /// that occur in the layer. (eStargz symlink mtimes: `symlink-mtime`, from the eStargz
    /// inspection.)
    pub pull_hazards: Vec<PullHazard>,
    /// Bytes of the blob read to produce this report.
    pub bytes_read: u64,
    /// Ranges of the blob read to produce this report.
    pub reads: usize,
    /// Every range read, in order.
    pub read_log: Vec<crate::range::ByteRange>,
    /// Present only when the file list was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_list: Option<Vec<FileReport>>,
    /// Metadata deliberately not read (the reference puller does not read it either), and why;
    /// `None` when nothing was skipped. Not an error: the verdict says what the puller does.
    pub not_read: Option<NotRead>,
    /// Why the inspection stopped early, if it did: the typed error, serialized as
    /// `{kind, message, …fields}`.
    pub error: Option<crate::error::Error>,
    /// eStargz layers and stargz-snapshotter's zstd:chunked ones: what only they have.
    pub estargz: Option<EstargzReport>,
}

/// Which eStargz writer made the layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EstargzKind {
    /// gzip members, the eStargz footer (stargz-snapshotter's `estargz` package).
    Estargz,
    /// stargz-snapshotter's `zstdchunked` compressor: zstd frames, the legacy 40-byte
    /// zstd:chunked footer, the eStargz TOC schema and annotations plus the legacy
    /// `io.containers.zstd-chunked.*` ones.
    StargzZstdchunked,
}

impl EstargzKind {
    /// Every kind.
    pub const ALL: [EstargzKind; 2] = [EstargzKind::Estargz, EstargzKind::StargzZstdchunked];

    /// The report's `format`.
    pub fn format(self) -> LayerFormat {
        match self {
            EstargzKind::Estargz => LayerFormat::Estargz,
            EstargzKind::StargzZstdchunked => LayerFormat::StargzZstdchunked,
        }
    }

    /// The kind in words, for people.
    pub fn describe(self) -> &'static str {
        match self {
            EstargzKind::Estargz => "eStargz layer",
            EstargzKind::StargzZstdchunked => {
                "stargz-snapshotter zstd:chunked layer (eStargz to the reference puller)"
            }
        }
    }
}

/// The landmark entry of an eStargz TOC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Landmark {
    /// `.prefetch.landmark`: the files before it are prioritized.
    Prefetch,
    /// `.no.prefetch.landmark`: nothing is prioritized.
    NoPrefetch,
}

impl Landmark {
    /// Every landmark.
    pub const ALL: [Landmark; 2] = [Landmark::Prefetch, Landmark::NoPrefetch];
}

/// Which annotations described a layer's metadata (the report's `annotations`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnnotationNamespace {
    /// `io.github.containers.zstd-chunked.*`, what current pullers read.
    Current,
    /// `io.containers.zstd-chunked.*`, which current pullers ignore.
    Legacy,
    /// `containerd.io/snapshot/stargz/toc.digest`.
    Estargz,
    /// No metadata annotations.
    #[default]
    None,
}

impl AnnotationNamespace {
    /// Every namespace.
    pub const ALL: [AnnotationNamespace; 4] = [
        AnnotationNamespace::Current,
        AnnotationNamespace::Legacy,
        AnnotationNamespace::Estargz,
        AnnotationNamespace::None,
    ];
}

impl AnnotationNamespace {
    /// The namespace's name for people (the CLI prints it).
    pub fn describe(self) -> &'static str {
        match self {
            AnnotationNamespace::Current => "current",
            AnnotationNamespace::Legacy => "legacy",
            AnnotationNamespace::Estargz => "estargz",
            AnnotationNamespace::None => "none",
        }
    }
}

impl std::fmt::Display for AnnotationNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

impl From<Namespace> for AnnotationNamespace {
    fn from(n: Namespace) -> AnnotationNamespace {
        match n {
            Namespace::Current => AnnotationNamespace::Current,
            Namespace::Legacy => AnnotationNamespace::Legacy,
        }
    }
}

/// eStargz details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EstargzReport {
    /// Which writer made the layer.
    pub kind: EstargzKind,
    /// `containerd.io/snapshot/stargz/toc.digest`: sha256 of the uncompressed TOC JSON.
    pub toc_digest: String,
    /// Whether the TOC JSON matched `toc_digest`.
    pub toc_digest_verified: bool,
    /// The tar entry that held the TOC JSON (gzip eStargz only): `stargz.index.json`.
    pub toc_tar_name: Option<String>,
    /// The landmark entry, if the TOC has one.
    pub landmark: Option<Landmark>,
    /// Regular files before `.prefetch.landmark`, in TOC order.
    pub prioritized_files: Vec<String>,
    /// How the reference puller's eStargz reader fails on the blob's last 51 bytes, if it does
    /// (`parse ToC offset: strconv.ParseInt: parsing "…": invalid syntax`).
    pub reference_footer_error: Option<String>,
    /// The reference puller's verdict with `insecure_allow_unpredictable_image_contents`.
    pub insecure_pull: PartialPull,
    /// What a partial pull with that option loses: the layer's `partial` hazards, `symlink-mtime`
    /// included (empty when that pull does not happen).
    pub insecure_pull_hazards: Vec<PullHazard>,
}

/// Why a section was not read (wire spelling kebab-case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotReadCode {
    /// The TOC is over the reference puller's 150 MiB `maxTocSize` (compressed or not).
    TocOverLimit,
    /// The tar-split is over chunkscope's own cap ([`crate::inspect::MAX_TAR_SPLIT`],
    /// [`crate::inspect::MAX_TAR_SPLIT_DECODED`]); the reference puller has none, so the layer
    /// is inspected as with `--toc-only`.
    TarSplitOverLimit,
}

impl NotReadCode {
    /// Every code.
    pub const ALL: [NotReadCode; 2] = [NotReadCode::TocOverLimit, NotReadCode::TarSplitOverLimit];
}

/// One of the tar-split's two declared sizes (wire spelling `tar-split (compressed)`,
/// `tar-split (uncompressed)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TarSplitSize {
    /// The compressed tar-split bytes in the blob.
    #[serde(rename = "tar-split (compressed)")]
    Compressed,
    /// The tar-split's JSON lines once decompressed.
    #[serde(rename = "tar-split (uncompressed)")]
    Uncompressed,
}

impl TarSplitSize {
    /// Both sizes.
    pub const ALL: [TarSplitSize; 2] = [TarSplitSize::Compressed, TarSplitSize::Uncompressed];

    /// The size in words (the same as the wire spelling).
    pub fn describe(self) -> &'static str {
        match self {
            TarSplitSize::Compressed => "tar-split (compressed)",
            TarSplitSize::Uncompressed => "tar-split (uncompressed)",
        }
    }
}

impl std::fmt::Display for TarSplitSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// One of the TOC's two declared sizes (wire spelling `TOC (compressed)`, `TOC (uncompressed)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TocSize {
    /// The compressed TOC bytes in the blob.
    #[serde(rename = "TOC (compressed)")]
    Compressed,
    /// The TOC JSON once decompressed.
    #[serde(rename = "TOC (uncompressed)")]
    Uncompressed,
}

impl TocSize {
    /// Both sizes.
    pub const ALL: [TocSize; 2] = [TocSize::Compressed, TocSize::Uncompressed];

    /// The size in words (the same as the wire spelling).
    pub fn describe(self) -> &'static str {
        match self {
            TocSize::Compressed => "TOC (compressed)",
            TocSize::Uncompressed => "TOC (uncompressed)",
        }
    }

    /// `compressed` or `uncompressed`.
    pub fn adjective(self) -> &'static str {
        match self {
            TocSize::Compressed => "compressed",
            TocSize::Uncompressed => "uncompressed",
        }
    }
}

impl std::fmt::Display for TocSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// A section deliberately not read: which limit it is over. `W` names the section's sizes:
/// [`TocSize`] for the layer's `notRead`, [`TarSplitSize`] for the tar-split's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotRead<W = TocSize> {
    /// Why it was not read.
    pub code: NotReadCode,
    /// Which of the section's two sizes is over the limit.
    pub what: W,
    /// The size claimed (annotation or footer), in bytes.
    pub size: u64,
    /// The limit, in bytes.
    pub limit: u64,
}

/// The name of one check of a layer (wire spelling snake_case, as the `checks` keys). Declared
/// in alphabetical order of the wire names, so the `checks` map keeps that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// The footer's positions plus its frame end at the blob's end.
    BlobSizeMatchesFooter,
    /// The annotated tar-split ends one footer frame before the blob's end.
    BlobSizeMatchesMetadata,
    /// Every chunk has a positive compressed extent, payloads ascend and end before the TOC.
    ChunkExtents,
    /// The uncompressed eStargz TOC matches `containerd.io/snapshot/stargz/toc.digest`.
    EstargzTocDigest,
    /// The blob ends with a footer chunkscope knows.
    FooterMagic,
    /// The footer names the same TOC and tar-split as the annotations.
    FooterMatchesAnnotations,
    /// The compressed tar-split matches the TOC's `tarSplitDigest`.
    TarsplitDigest,
    /// The tar-split starts right after the TOC and an 8-byte frame header.
    TarsplitFollowsToc,
    /// The 8 bytes before the tar-split are a skippable-frame header for it.
    TarsplitInSkippableFrame,
    /// Every tar-split file record is named as the header before it.
    TarsplitRecordsMatchHeaders,
    /// The tar-split decompresses to its declared length.
    TarsplitUncompressedLength,
    /// The compressed TOC matches the annotated manifest checksum.
    TocDigest,
    /// The TOC entries and the tar headers correspond 1:1 (containers/storage's comparison).
    TocMatchesTarsplit,
    /// The eStargz TOC member is the tar entry `stargz.index.json`.
    TocTarName,
    /// The TOC decompresses to its declared length.
    TocUncompressedLength,
}

impl CheckName {
    /// Every check, in wire-name order.
    pub const ALL: [CheckName; 15] = [
        CheckName::BlobSizeMatchesFooter,
        CheckName::BlobSizeMatchesMetadata,
        CheckName::ChunkExtents,
        CheckName::EstargzTocDigest,
        CheckName::FooterMagic,
        CheckName::FooterMatchesAnnotations,
        CheckName::TarsplitDigest,
        CheckName::TarsplitFollowsToc,
        CheckName::TarsplitInSkippableFrame,
        CheckName::TarsplitRecordsMatchHeaders,
        CheckName::TarsplitUncompressedLength,
        CheckName::TocDigest,
        CheckName::TocMatchesTarsplit,
        CheckName::TocTarName,
        CheckName::TocUncompressedLength,
    ];

    /// What the check compares, for people.
    pub fn describe(self) -> &'static str {
        match self {
            CheckName::BlobSizeMatchesFooter => "The footer's positions plus its frame end at the blob's end.",
            CheckName::BlobSizeMatchesMetadata => "The annotated tar-split ends one footer frame before the blob's end.",
            CheckName::ChunkExtents => "Every chunk has a positive compressed extent, payloads ascend and end before the TOC.",
            CheckName::EstargzTocDigest => "The uncompressed eStargz TOC matches `containerd.io/snapshot/stargz/toc.digest`.",
            CheckName::FooterMagic => "The blob ends with a footer chunkscope knows.",
            CheckName::FooterMatchesAnnotations => "The footer names the same TOC and tar-split as the annotations.",
            CheckName::TarsplitDigest => "The compressed tar-split matches the TOC's `tarSplitDigest`.",
            CheckName::TarsplitFollowsToc => "The tar-split starts right after the TOC and an 8-byte frame header.",
            CheckName::TarsplitInSkippableFrame => "The 8 bytes before the tar-split are a skippable-frame header for it.",
            CheckName::TarsplitRecordsMatchHeaders => "Every tar-split file record is named as the header before it.",
            CheckName::TarsplitUncompressedLength => "The tar-split decompresses to its declared length.",
            CheckName::TocDigest => "The compressed TOC matches the annotated manifest checksum.",
            CheckName::TocMatchesTarsplit => "The TOC entries and the tar headers correspond 1:1 (containers/storage's comparison).",
            CheckName::TocTarName => "The eStargz TOC member is the tar entry `stargz.index.json`.",
            CheckName::TocUncompressedLength => "The TOC decompresses to its declared length.",
        }
    }
}

/// One check's outcome: its state and what was compared (and why it failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `pass` or `fail`.
    pub state: CheckState,
    /// What was compared, with the values; why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Check {
    /// Whether the check passed.
    pub fn passed(&self) -> bool {
        self.state == CheckState::Pass
    }
}

/// Whether a check passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckState {
    /// The check passed.
    Pass,
    /// The check failed (the detail says why).
    Fail,
}

impl CheckState {
    /// Both states.
    pub const ALL: [CheckState; 2] = [CheckState::Pass, CheckState::Fail];
}

/// A metadata section (the TOC): where it is and whether it verified.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SectionReport {
    /// Offset of the compressed section in the blob.
    pub offset: u64,
    /// Compressed length.
    pub length: u64,
    /// Declared uncompressed length.
    pub uncompressed_length: u64,
    /// Whether the compressed bytes matched the digest that authenticates them.
    pub digest_verified: bool,
}

/// The tar-split section: where it is, whether it verified, and the tar it describes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TarSplitReport {
    /// Offset of the compressed tar-split in the blob.
    pub offset: u64,
    /// Compressed length.
    pub length: u64,
    /// Declared uncompressed length.
    pub uncompressed_length: u64,
    /// Whether the compressed bytes matched the TOC's `tarSplitDigest`.
    pub digest_verified: bool,
    /// Size of the uncompressed tar, when the tar-split was read.
    pub tar_size: Option<u64>,
    /// Set when the tar-split was deliberately not read: over chunkscope's own cap (the
    /// reference puller has none). The layer is then inspected as with `--toc-only`.
    pub not_read: Option<NotRead<TarSplitSize>>,
}

/// Which footer a blob ends with: the zstd:chunked layouts
/// ([`crate::format::footer::FooterVariant`]) and the eStargz ones
/// ([`crate::format::estargz::FooterVariant`]), named by their frame sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum FooterVariant {
    /// The current zstd:chunked footer: a 72-byte skippable frame.
    #[default]
    #[serde(rename = "current-72")]
    Current72,
    /// containers/storage v1.47 to v1.49's 64-byte frame.
    #[serde(rename = "v1.47-64")]
    V147_64,
    /// containers/storage v1.31 to v1.46's 48-byte frame.
    #[serde(rename = "legacy-48")]
    Legacy48,
    /// The eStargz footer: a 51-byte gzip member.
    #[serde(rename = "estargz-51")]
    Estargz51,
    /// The older eStargz footer: a 47-byte gzip member.
    #[serde(rename = "estargz-legacy-47")]
    EstargzLegacy47,
}

impl FooterVariant {
    /// Every variant.
    pub const ALL: [FooterVariant; 5] = [
        FooterVariant::Current72,
        FooterVariant::V147_64,
        FooterVariant::Legacy48,
        FooterVariant::Estargz51,
        FooterVariant::EstargzLegacy47,
    ];
}

impl FooterVariant {
    /// The layout's name for people (the CLI prints it).
    pub fn describe(self) -> &'static str {
        match self {
            FooterVariant::Current72 => "current-72",
            FooterVariant::V147_64 => "v1.47-64",
            FooterVariant::Legacy48 => "legacy-48",
            FooterVariant::Estargz51 => "estargz-51",
            FooterVariant::EstargzLegacy47 => "estargz-legacy-47",
        }
    }
}

impl std::fmt::Display for FooterVariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

impl From<crate::format::footer::FooterVariant> for FooterVariant {
    fn from(v: crate::format::footer::FooterVariant) -> FooterVariant {
        use crate::format::footer::FooterVariant as F;
        match v {
            F::Current => FooterVariant::Current72,
            F::Buggy56 => FooterVariant::V147_64,
            F::Legacy => FooterVariant::Legacy48,
        }
    }
}

impl From<crate::format::estargz::FooterVariant> for FooterVariant {
    fn from(v: crate::format::estargz::FooterVariant) -> FooterVariant {
        use crate::format::estargz::FooterVariant as F;
        match v {
            F::Estargz51 => FooterVariant::Estargz51,
            F::Legacy47 => FooterVariant::EstargzLegacy47,
        }
    }
}

/// The footer as read: its layout and the positions it gives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FooterReport {
    /// Which footer layout the blob ends with.
    pub variant: FooterVariant,
    /// TOC offset the footer gives.
    pub toc_offset: u64,
    /// TOC compressed length the footer gives.
    pub toc_length: u64,
    /// TOC uncompressed length the footer gives (0 for eStargz, whose footer does not say).
    pub toc_uncompressed_length: u64,
    /// Tar-split offset (current layout only).
    pub tar_split_offset: Option<u64>,
    /// Tar-split compressed length (current layout only).
    pub tar_split_length: Option<u64>,
    /// Tar-split uncompressed length (current layout only).
    pub tar_split_uncompressed_length: Option<u64>,
}

/// What the reference puller (containers/storage) does with this layer: the fields of
/// [`PullVerdict`], plus `eligible` (= `outcome == "partial"`) and `reason` (`null` when
/// eligible), kept from before the verdict had three outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartialPull {
    /// Whether the reference puller pulls the layer partially (`outcome == "partial"`).
    pub eligible: bool,
    /// Why not, when not.
    pub reason: Option<String>,
    /// Partial pull, full pull or failure.
    pub outcome: PullOutcome,
    /// Which rule decided.
    pub code: VerdictCode,
    /// The puller's error (for `fails`) or log line (for `full-pull`).
    pub error: Option<String>,
    /// The upstream file and function whose rule decided this.
    pub source: RuleSource,
}

impl From<&PullVerdict> for PartialPull {
    fn from(v: &PullVerdict) -> PartialPull {
        PartialPull {
            eligible: v.is_partial(),
            reason: (!v.is_partial()).then(|| v.reason.clone()),
            outcome: v.outcome,
            code: v.code,
            error: v.error.clone(),
            source: v.source,
        }
    }
}

impl Default for PartialPull {
    /// Before any rule ran: the layer's metadata was not read.
    fn default() -> PartialPull {
        PartialPull::from(&PullVerdict::not_read())
    }
}

/// One entry of `fileList`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileReport {
    /// The path, as the TOC names it (untrusted text).
    pub path: String,
    /// The entry type (`type` on the wire).
    #[serde(rename = "type")]
    pub kind: EntryType,
    /// Uncompressed size in bytes.
    pub size: u64,
    /// Permission and type bits, as the TOC gives them.
    pub mode: u64,
    /// Owner user id.
    pub uid: u64,
    /// Owner group id.
    pub gid: u64,
    /// Modification time, as the TOC writes it (RFC 3339).
    pub modtime: Option<String>,
    /// Target of a symlink or hard link.
    pub link_name: Option<String>,
    /// Digest of the uncompressed content (regular files).
    pub digest: Option<String>,
    /// Extended attributes (values base64, as in the TOC).
    pub xattrs: BTreeMap<String, String>,
    /// Device major number (character and block devices).
    pub dev_major: Option<u64>,
    /// Device minor number (character and block devices).
    pub dev_minor: Option<u64>,
    /// Where the file's chunks are in the blob.
    pub chunks: Vec<Chunk>,
}

impl From<&FileEntry> for FileReport {
    fn from(f: &FileEntry) -> Self {
        let e = &f.entry;
        let device = matches!(e.kind, EntryType::Char | EntryType::Block);
        FileReport {
            path: f.path.clone(),
            kind: e.kind,
            size: e.size,
            mode: e.mode,
            uid: e.uid,
            gid: e.gid,
            modtime: e.modtime.as_deref().cloned(),
            link_name: (!e.link_name().is_empty()).then(|| e.link_name().to_string()),
            digest: e.digest.as_ref().map(|d| d.to_string()),
            xattrs: e.xattrs().clone(),
            dev_major: device.then_some(e.dev_major()),
            dev_minor: device.then_some(e.dev_minor()),
            chunks: f.chunks.clone(),
        }
    }
}
