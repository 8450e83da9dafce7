//! A model of the reference puller (containers/image + containers/storage, as in podman 5.4):
//! which layers it reuses, which layers it pulls whole and why, and for the rest which chunks it
//! finds locally and which it must fetch.
//!
//! What "the store" holds is modelled from the *have* images: every layer of every have image
//! that the reference would itself have pulled partially (current annotations, a TOC with a
//! `tarSplitDigest`, TOC within 150 MiB) contributes its TOC to the lookaside cache, exactly as
//! c/storage indexes it (`writeCache` in `cache_linux.go`):
//! * every entry's full-file `digest` (at file offset 0),
//! * the hard-link fingerprint of those entries (digest + `uid:gid:mode(octal)` + sorted xattrs),
//! * every `chunkDigest` (at its `chunkOffset`).
//!
//! Layers pulled whole (legacy annotations, no TOC) leave no TOC in the store and so no cache: they
//! count for layer reuse by blob digest, not for file or chunk reuse. The layers of the image
//! being pulled are not searched: the reference pulls them in parallel, none is in the store yet.
//! We assume a rootful pull without ID remapping (the fingerprint covers uid/gid as stored).

use super::ranges::{ByteRange, Part, Source};
use super::LayerInput;
use crate::format::annotations::Section;
use crate::format::annotations::ESTARGZ_TOC_DIGEST;
use crate::format::digest::Digest;
use crate::format::estargz::{FOOTER_SIZE, NO_PREFETCH_LANDMARK, PREFETCH_LANDMARK, TOC_TAR_NAME};
use crate::format::toc::TocEntry;
use crate::inspect::eligibility::{self, PullOutcome, PullVerdict, VerdictCode};
use crate::inspect::report::EstargzReport;
use crate::model::{FileEntry, LayerFiles};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// How a wanted layer was found in the store (the plan's `reusedBy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ReuseReason {
    /// A stored layer has the same blob digest.
    #[serde(rename = "blob digest")]
    BlobDigest,
    /// A stored layer has the same annotated TOC digest.
    #[serde(rename = "TOC digest")]
    TocDigest,
}

impl ReuseReason {
    /// Both reasons.
    pub const ALL: [ReuseReason; 2] = [ReuseReason::BlobDigest, ReuseReason::TocDigest];

    /// The reason in words, for people.
    pub fn describe(self) -> &'static str {
        match self {
            ReuseReason::BlobDigest => "blob digest",
            ReuseReason::TocDigest => "TOC digest",
        }
    }
}

impl std::fmt::Display for ReuseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// How the reference handles one wanted layer before looking at its files.
pub(crate) enum Route<'a> {
    /// Already in the store: no request at all.
    Reused(ReuseReason),
    /// Pulled with one ordinary GET (`verdict.outcome` = `full-pull`), or not at all because
    /// the pull fails (`fails`). `metadata` is set when the TOC (and tar-split) were read
    /// first and then found unusable: that request is spent before the fallback or failure.
    Full {
        verdict: PullVerdict,
        metadata: Option<Metadata>,
    },
    /// Partial pull.
    Partial {
        metadata: Metadata,
        files: &'a LayerFiles,
    },
}

/// The metadata read: the TOC and, when annotated, the tar-split, in one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Metadata {
    pub toc: Section,
    pub tar_split: Option<Section>,
    /// eStargz: the 51-byte footer, read in a request of its own before the TOC.
    pub estargz_footer: Option<ByteRange>,
}

impl Metadata {
    /// The eStargz footer request, when there is one.
    pub fn footer_request(&self) -> Option<super::PlannedRequest> {
        self.estargz_footer.map(|f| super::PlannedRequest {
            kind: super::RequestKind::Metadata,
            ranges: vec![f],
            bytes: f.length,
        })
    }
    pub fn footer_bytes(&self) -> u64 {
        self.estargz_footer.map_or(0, |f| f.length)
    }

    /// The ranges of the reference's metadata request (2 ranges, 8 bytes apart, not merged).
    pub fn reference_ranges(&self) -> Vec<ByteRange> {
        let mut v = vec![ByteRange {
            offset: self.toc.offset,
            length: self.toc.length,
        }];
        if let Some(ts) = self.tar_split {
            v.push(ByteRange {
                offset: ts.offset,
                length: ts.length,
            });
        }
        v
    }
    /// chunkscope's single range: from the TOC to the end of the tar-split, header included.
    pub fn single_range(&self) -> ByteRange {
        let end = self
            .tar_split
            .map(|t| t.end())
            .unwrap_or(self.toc.end())
            .max(self.toc.end());
        ByteRange {
            offset: self.toc.offset,
            length: end - self.toc.offset,
        }
    }
}

/// The TOC digest the reference knows this layer by (current annotations, or the eStargz TOC
/// digest when eStargz layers are pulled partially).
fn toc_digest(input: &LayerInput<'_>, insecure: bool) -> Option<Digest> {
    match eligibility::by_descriptor(input.descriptor) {
        Ok(a) => Some(a.toc_digest),
        Err(v) if insecure && v.code == VerdictCode::EstargzRefused => input
            .descriptor
            .annotations
            .get(ESTARGZ_TOC_DIGEST)
            .and_then(|d| Digest::parse(d).ok()),
        Err(_) => None,
    }
}

/// The reference's route for an eStargz layer with `insecure_allow_unpredictable_image_contents`
/// (`makeEstargzChunkedDiffer` → `readEstargzChunkedManifest`): the last 51 bytes, then the TOC
/// `[tocOffset, size − 51)`, then the missing chunks.
fn estargz_route<'a>(input: &LayerInput<'a>, refused: PullVerdict) -> Route<'a> {
    let size = input.descriptor.size;
    let footer = ByteRange {
        offset: size.saturating_sub(FOOTER_SIZE),
        length: FOOTER_SIZE.min(size),
    };
    // The footer read alone, as the metadata request of a layer whose footer does not parse.
    let footer_only = Metadata {
        toc: Section {
            offset: footer.offset,
            length: footer.length,
            uncompressed_length: 0,
        },
        tar_split: None,
        estargz_footer: None,
    };
    let Some(report) = input.estargz else {
        return Route::Full {
            verdict: refused,
            metadata: None,
        };
    };
    if report.insecure_pull.outcome == PullOutcome::Fails {
        return Route::Full {
            verdict: insecure_verdict(report),
            metadata: Some(footer_only),
        };
    }
    let Some(files) = input.files else {
        return toc_unusable(input, "the eStargz TOC", footer_only);
    };
    let toc_offset = files.payload_end;
    let metadata = Metadata {
        toc: Section {
            offset: toc_offset,
            length: footer.offset.saturating_sub(toc_offset),
            uncompressed_length: 0,
        },
        tar_split: None,
        estargz_footer: Some(footer),
    };
    with_consistent_extents(&input.descriptor.digest, metadata, files)
}

/// The inspection's eStargz verdict with `insecure_allow_unpredictable_image_contents`.
pub(crate) fn insecure_verdict(report: &EstargzReport) -> PullVerdict {
    let v = &report.insecure_pull;
    PullVerdict {
        outcome: v.outcome,
        code: v.code,
        reason: v.reason.clone().unwrap_or_else(|| {
            "with insecure_allow_unpredictable_image_contents the reference puller reads the footer and TOC and pulls only the missing chunks".into()
        }),
        error: v.error.clone(),
        source: v.source,
    }
}

/// The reference's decision for a layer that is not reused.
fn pull_route<'a>(input: &LayerInput<'a>, insecure: bool) -> Route<'a> {
    let a = match eligibility::by_descriptor(input.descriptor) {
        Ok(a) => a,
        Err(verdict) if insecure && verdict.code == VerdictCode::EstargzRefused => {
            return estargz_route(input, verdict)
        }
        Err(verdict) => {
            return Route::Full {
                verdict,
                metadata: None,
            }
        }
    };
    let metadata = Metadata {
        toc: a.toc,
        tar_split: a.tar_split,
        estargz_footer: None,
    };
    // What the inspection found in the metadata (TOC digest, tar-split correspondence) decides
    // before anything the planner could add.
    if let Some(v) = input.verdict.filter(|v| !v.is_partial()) {
        return Route::Full {
            verdict: v.clone(),
            metadata: Some(metadata),
        };
    }
    let Some(files) = input.files else {
        return toc_unusable(input, "the TOC", metadata);
    };
    if let Err(verdict) = eligibility::by_toc(&input.descriptor.digest, &a, input.tar_split_digest)
    {
        return Route::Full {
            verdict,
            metadata: Some(metadata),
        };
    }
    with_consistent_extents(&input.descriptor.digest, metadata, files)
}

/// Whether the reference would have pulled this (have) layer partially, leaving its TOC in the
/// store; returns its TOC digest then.
fn partially_pulled(input: &LayerInput<'_>, insecure: bool) -> Option<Digest> {
    match pull_route(input, insecure) {
        Route::Partial { .. } => toc_digest(input, insecure),
        _ => None,
    }
}

/// The store as the reference's lookaside cache sees it.
pub(crate) struct HaveIndex<'a> {
    /// `insecure_allow_unpredictable_image_contents`.
    insecure: bool,
    blobs: HashSet<&'a str>,
    tocs: HashSet<Digest>,
    /// Full-file digests (lookups of whole files, offset 0).
    files: HashSet<&'a Digest>,
    /// With hard links: the entries per full-file digest, to compare the rest of the fingerprint.
    fingerprints: HashMap<&'a Digest, Vec<&'a TocEntry>>,
    /// Everything a chunk lookup can hit: chunk digests and full-file digests.
    chunks: HashSet<&'a Digest>,
}

impl<'a> HaveIndex<'a> {
    pub fn build(have: &[LayerInput<'a>], hard_links: bool, insecure: bool) -> HaveIndex<'a> {
        let mut ix = HaveIndex {
            insecure,
            blobs: HashSet::new(),
            tocs: HashSet::new(),
            files: HashSet::new(),
            fingerprints: HashMap::new(),
            chunks: HashSet::new(),
        };
        for l in have {
            ix.blobs.insert(l.descriptor.digest.as_str());
            let Some(toc_digest) = partially_pulled(l, insecure) else {
                continue;
            };
            ix.tocs.insert(toc_digest);
            let Some(files) = l.files else { continue };
            for f in &files.files {
                if let Some(d) = &f.entry.digest {
                    ix.files.insert(d);
                    if hard_links {
                        ix.fingerprints.entry(d).or_default().push(&f.entry);
                    }
                    ix.chunks.insert(d);
                }
                for c in &f.chunks {
                    if let Some(d) = &c.digest {
                        ix.chunks.insert(d);
                    }
                }
            }
        }
        ix
    }

    /// Layer reuse: by blob digest, else by TOC digest (only layers with current annotations
    /// carry a TOC digest the reference knows about).
    pub fn reuse(&self, input: &LayerInput<'_>) -> Option<ReuseReason> {
        if self.blobs.contains(input.descriptor.digest.as_str()) {
            return Some(ReuseReason::BlobDigest);
        }
        match toc_digest(input, self.insecure) {
            Some(d) if self.tocs.contains(&d) => Some(ReuseReason::TocDigest),
            _ => None,
        }
    }

    fn has_file(&self, f: &FileEntry, hard_links: bool) -> bool {
        let Some(d) = &f.entry.digest else {
            return false;
        };
        if hard_links {
            // With use_hard_links the reference looks up the fingerprint only.
            self.fingerprints
                .get(d)
                .is_some_and(|c| c.iter().any(|e| same_fingerprint(e, &f.entry)))
        } else {
            self.files.contains(d)
        }
    }

    fn has_chunk(&self, digest: &Digest) -> bool {
        self.chunks.contains(digest)
    }
}

/// Whether two entries with the same digest have the same hard-link fingerprint. c/storage's
/// `calculateHardLinkFingerprint` hashes the digest string, then `uid:gid:mode` (mode in octal),
/// then each xattr name and (base64) value, names sorted; comparing the fields directly is the
/// same test without hashing every file.
fn same_fingerprint(a: &TocEntry, b: &TocEntry) -> bool {
    a.uid == b.uid && a.gid == b.gid && a.mode == b.mode && a.xattrs() == b.xattrs()
}

/// What the reference finds missing in one layer.
#[derive(Debug, Default)]
pub(crate) struct Missing {
    /// The parts as the reference builds them (with its chunk end offsets, see [`classify`]).
    pub parts: Vec<Part>,
    /// The exact extents of the chunks to fetch (`endOffset`-based), for chunkscope's own plan.
    pub exact: Vec<ByteRange>,
    pub files: usize,
    pub local_files: usize,
    pub chunks: usize,
    pub local_chunks: usize,
    pub zero_chunks: usize,
    /// Compressed bytes of the chunks to fetch, exact extents.
    pub bytes: u64,
}

/// Looks up every regular file of the layer the way `ApplyDiff` does and lists the missing
/// parts.
///
/// **Chunk ends.** The reference does not use the TOC's `endOffset` for files of two or more
/// chunks. `mergeTocEntries` copies `EndOffset` from each of a file's entries in turn, so it ends
/// up with the last `chunk` entry's, which is never set; it then fills the gap, walking backwards,
/// with the `offset` of the next entry that has a payload, or the TOC's offset for the last file.
/// So when the last chunk of a multi-chunk file is fetched, the range runs up to the byte before
/// the *next file's* payload: it also downloads the frame that holds the next tar header(s)
/// (and, for the layer's last file, the tar EOF frame and the TOC's 8-byte skippable-frame
/// header). Decompression stops after the chunk's size, so the extra bytes are read and dropped.
/// This is what podman 5.4.2 did in the measured pull (fixtures README, observed behaviour 3:
/// 103 extra bytes for `opt/app/src/pkg06/mod_237.py`). Single-chunk files keep their `endOffset`.
pub(crate) fn classify(
    files: &LayerFiles,
    toc_offset: u64,
    index: &HaveIndex<'_>,
    chunk_reuse: bool,
    hard_links: bool,
    estargz: bool,
) -> Missing {
    let mut m = Missing::default();
    // eStargz: `mustSkipFile` drops the landmarks and the TOC's own name before anything else,
    // so their payloads are neither fetched nor the end of the previous file's range.
    let skip = |f: &FileEntry| {
        estargz
            && matches!(
                f.name(),
                PREFETCH_LANDMARK | NO_PREFETCH_LANDMARK | TOC_TAR_NAME
            )
    };
    // The reference's end for each file's last chunk, computed backwards like mergeTocEntries.
    let mut next_payload = toc_offset;
    let mut ref_end = vec![0u64; files.files.len()];
    for (i, f) in files.files.iter().enumerate().rev() {
        if skip(f) {
            continue;
        }
        if let (Some(first), Some(last)) = (f.chunks.first(), f.chunks.last()) {
            ref_end[i] = if f.chunks.len() == 1 && f.entry.end_offset > last.offset {
                f.entry.end_offset
            } else {
                next_payload
            };
            next_payload = first.offset;
        }
    }
    for (i, f) in files.files.iter().enumerate() {
        // Empty files are created from metadata; entries without a payload have no chunks.
        if f.entry.size == 0 || f.chunks.is_empty() || skip(f) {
            continue;
        }
        if index.has_file(f, hard_links) {
            m.local_files += 1;
            continue;
        }
        m.files += 1;
        let multi = f.chunks.len() > 1;
        let n = f.chunks.len();
        for (j, c) in f.chunks.iter().enumerate() {
            let exact_end = c.offset + c.compressed_length;
            let end = if j + 1 == n { ref_end[i] } else { exact_end };
            let source = if c.zeros {
                m.zero_chunks += 1;
                Source::Hole
            } else if chunk_reuse && multi && c.digest.as_ref().is_some_and(|d| index.has_chunk(d))
            {
                m.local_chunks += 1;
                Source::Local
            } else {
                m.chunks += 1;
                m.bytes += c.compressed_length;
                m.exact.push(ByteRange {
                    offset: c.offset,
                    length: c.compressed_length,
                });
                Source::Remote
            };
            m.parts.push(Part {
                offset: c.offset,
                length: end.saturating_sub(c.offset),
                source,
                file: i,
            });
        }
    }
    m
}

/// The route of a layer whose TOC (`what`) could not be read or used: the reference's read of the
/// same metadata fails too.
fn toc_unusable<'a>(input: &LayerInput<'a>, what: &str, metadata: Metadata) -> Route<'a> {
    let why = input
        .error
        .map_or_else(|| "not read".to_string(), |e| e.to_string());
    Route::Full {
        verdict: PullVerdict::invalid_metadata(
            &input.descriptor.digest,
            VerdictCode::MetadataUnreadable,
            &format!("{what} could not be used ({why})"),
        ),
        metadata: Some(metadata),
    }
}

/// The route for a wanted layer.
pub(crate) fn route<'a>(input: &LayerInput<'a>, index: &HaveIndex<'_>) -> Route<'a> {
    if let Some(why) = index.reuse(input) {
        return Route::Reused(why);
    }
    pull_route(input, index.insecure)
}

/// A partial route, unless the files' chunk extents overlap, run backwards or leave the payload
/// area: those cannot be fetched as the TOC says, and planning ranges from them would be fiction.
fn with_consistent_extents<'a>(
    digest: &str,
    metadata: Metadata,
    files: &'a LayerFiles,
) -> Route<'a> {
    if let Some(problem) = files.problems.first() {
        return Route::Full {
            verdict: PullVerdict::invalid_metadata(
                digest,
                VerdictCode::InvalidToc,
                &format!("the TOC's chunk extents are inconsistent ({problem})"),
            ),
            metadata: Some(metadata),
        };
    }
    Route::Partial { metadata, files }
}
