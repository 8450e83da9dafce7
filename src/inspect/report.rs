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
    pub read_log: Vec<ReadRecord>,
    /// Present only when the file list was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_list: Option<Vec<FileReport>>,
    /// Metadata deliberately not read (the reference puller does not read it either), and why;
    /// `None` when nothing was skipped. Not an error: the verdict says what the puller does.
    pub not_read: Option<NotRead>,
    /// Why the inspection stopped early, if it did: the typed error, serialized as
    /// `{kind, message, …fields}`.
    pub error: Option<crate::error::Error>,
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReadRecord {
    pub offset: u64,
    pub length: u64,
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
            link_name: (!e.link_name.is_empty()).then(|| e.link_name.clone()),
            digest: e.digest.as_ref().map(|d| d.to_string()),
            xattrs: e.xattrs.clone(),
            dev_major: device.then_some(e.dev_major),
            dev_minor: device.then_some(e.dev_minor),
            chunks: f.chunks.clone(),
        }
    }
}

/// An image: its manifest and one report per layer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageReport {
    /// What was inspected, as given (`oci:DIR:TAG`, `docker://…`, a registry reference).
    pub source: String,
    pub manifest_digest: Option<String>,
    pub manifest_media_type: Option<String>,
    pub platform: Option<String>,
    /// Platforms offered when the reference was an index.
    pub platforms: Vec<String>,
    pub config_digest: Option<String>,
    pub diff_ids: Vec<String>,
    pub layers: Vec<LayerReport>,
    /// Blob bytes read for all layers' metadata.
    pub bytes_read: u64,
    pub reads: usize,
    /// Every request made, manifests and configs included (registry sources only).
    pub requests: usize,
    /// Every body byte received (registry sources only).
    pub bytes_fetched: u64,
    pub request_log: Vec<RequestRecord>,
}

/// One HTTP request, as counted by an adapter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    pub url: String,
    pub range: Option<String>,
    pub status: u16,
    pub bytes: u64,
    /// Why the request was made: `manifest`, `config`, `metadata` (TOC/tar-split/footer ranges),
    /// `token`, `ping`, `probe`, `tags` or `file`.
    pub purpose: String,
    /// Set when the body was cancelled (a 200 to a ranged request).
    pub aborted: bool,
}

/// Thousands separators for people: `1818924` → `1,818,924`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
