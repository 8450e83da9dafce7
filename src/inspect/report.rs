//! The inspection report: one serde model for the CLI's `--json` and the browser API.
//!
//! Field names are the public schema (documented in README.md); both front ends serialize these
//! same structs, so they cannot drift apart.

use crate::format::tarsplit::Difference;
use crate::inspect::eligibility::{PullOutcome, PullVerdict, VerdictCode};
use crate::inspect::hazards::PullHazard;
use crate::model::{Chunk, FileEntry};
use serde::Serialize;
use std::collections::BTreeMap;

/// Everything learned about one layer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerReport {
    pub digest: String,
    pub media_type: String,
    pub size: u64,
    /// `zstd:chunked`, `zstd:chunked-legacy`, `estargz`, `zstd`, `gzip`, `tar` or `unknown`.
    pub format: String,
    /// Which annotations described the metadata: `current`, `legacy`, `estargz` or `none`.
    pub annotations: String,
    pub toc: Option<SectionReport>,
    pub tar_split: Option<TarSplitReport>,
    pub footer: Option<FooterReport>,
    /// TOC entries, counting `chunk` entries.
    pub entries: usize,
    /// Regular files.
    pub files: usize,
    pub directories: usize,
    pub symlinks: usize,
    pub hardlinks: usize,
    /// Chunks of all regular files (a single-chunk file counts one).
    pub chunks: usize,
    pub zero_chunks: usize,
    pub multi_chunk_files: usize,
    /// Compressed bytes of all file payloads.
    pub payload_bytes: u64,
    /// Check name → `pass` / `fail`.
    pub checks: BTreeMap<String, CheckState>,
    /// Check name → what was compared, and why it failed.
    pub check_details: BTreeMap<String, String>,
    pub partial_pull: PartialPull,
    /// The TOC ↔ tar-split differences, one per entry, in containers/storage's terms (at most
    /// 20; empty when they agree or the tar-split was not read).
    pub toc_tar_split_differences: Vec<Difference>,
    /// What the stored layer loses, by kind of pull ([`crate::inspect::hazards`]); only kinds
    /// that occur in the layer. (eStargz symlink mtimes: `symlink-mtime`, from the eStargz
    /// inspection.)
    pub pull_hazards: Vec<PullHazard>,
    /// Bytes of the blob read to produce this report.
    pub bytes_read: u64,
    /// Ranges of the blob read to produce this report.
    pub reads: usize,
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
    /// The report's `format`.
    pub fn format(self) -> &'static str {
        match self {
            EstargzKind::Estargz => "estargz",
            EstargzKind::StargzZstdchunked => "stargz-zstdchunked",
        }
    }
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

/// eStargz details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EstargzReport {
    pub kind: EstargzKind,
    /// `containerd.io/snapshot/stargz/toc.digest`: sha256 of the uncompressed TOC JSON.
    pub toc_digest: String,
    pub toc_digest_verified: bool,
    /// The tar entry that held the TOC JSON (gzip eStargz only): `stargz.index.json`.
    pub toc_tar_name: Option<String>,
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
}

impl NotReadCode {
    /// Every code.
    pub const ALL: [NotReadCode; 1] = [NotReadCode::TocOverLimit];
}

/// A section deliberately not read: which limit it is over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotRead {
    pub code: NotReadCode,
    /// `TOC (compressed)` or `TOC (uncompressed)`.
    pub what: String,
    /// The size claimed (annotation or footer), in bytes.
    pub size: u64,
    /// The limit, in bytes.
    pub limit: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckState {
    Pass,
    Fail,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SectionReport {
    pub offset: u64,
    pub length: u64,
    pub uncompressed_length: u64,
    pub digest_verified: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TarSplitReport {
    pub offset: u64,
    pub length: u64,
    pub uncompressed_length: u64,
    pub digest_verified: bool,
    /// Size of the uncompressed tar, when the tar-split was read.
    pub tar_size: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FooterReport {
    /// `current-72`, `v1.47-64` or `legacy-48`.
    pub variant: String,
    pub toc_offset: u64,
    pub toc_length: u64,
    pub toc_uncompressed_length: u64,
    pub tar_split_offset: Option<u64>,
    pub tar_split_length: Option<u64>,
    pub tar_split_uncompressed_length: Option<u64>,
}

/// What the reference puller (containers/storage) does with this layer: the fields of
/// [`PullVerdict`], plus `eligible` (= `outcome == "partial"`) and `reason` (`null` when
/// eligible), kept from before the verdict had three outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartialPull {
    pub eligible: bool,
    /// Why not, when not.
    pub reason: Option<String>,
    pub outcome: PullOutcome,
    pub code: VerdictCode,
    /// The puller's error (for `fails`) or log line (for `full-pull`).
    pub error: Option<String>,
    /// The upstream file and function whose rule decided this.
    pub source: &'static str,
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
    pub path: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub size: u64,
    pub mode: u64,
    pub uid: u64,
    pub gid: u64,
    pub modtime: Option<String>,
    pub link_name: Option<String>,
    pub digest: Option<String>,
    pub xattrs: BTreeMap<String, String>,
    pub dev_major: Option<u64>,
    pub dev_minor: Option<u64>,
    pub chunks: Vec<Chunk>,
}

impl From<&FileEntry> for FileReport {
    fn from(f: &FileEntry) -> Self {
        let e = &f.entry;
        let device = matches!(
            e.kind,
            crate::format::toc::EntryType::Char | crate::format::toc::EntryType::Block
        );
        FileReport {
            path: f.path.clone(),
            kind: e.kind.as_str(),
            size: e.size,
            mode: e.mode,
            uid: e.uid,
            gid: e.gid,
            modtime: e.modtime.clone(),
            link_name: (!e.link_name().is_empty()).then(|| e.link_name().to_string()),
            digest: e.digest.as_ref().map(|d| d.to_string()),
            xattrs: e.xattrs().clone(),
            dev_major: device.then_some(e.dev_major()),
            dev_minor: device.then_some(e.dev_minor()),
            chunks: f.chunks.clone(),
        }
    }
}
