//! Inspecting one layer: a sans-IO state machine that says which byte range to read next.
//!
//! [`LayerInspection`] never does IO. A driver (a file, a registry client, a browser `fetch`)
//! asks [`LayerInspection::next_read`] for a range, reads exactly those bytes however it can,
//! hands them to [`LayerInspection::feed`], and repeats until `next_read` is `None`. That keeps
//! the rules about what to read (single ranges only, absolute offsets, the fewest bytes) in one
//! place, testable without a network, and shared by every adapter.
//!
//! What is read:
//! * annotated layer: ONE range, the compressed TOC, or `[TOC, tar-split end)` when the tar-split
//!   is wanted (the 8 bytes between are the tar-split's frame header);
//! * no annotations (zstd or unknown media type): the last 72 bytes (absolute range); if they
//!   hold a zstd:chunked footer, then the TOC as above;
//! * with `footer`: the last 72 bytes too, inside the one range when it reaches the blob's end,
//!   else as a range of their own; with annotations the footer is only checked against them;
//! * eStargz: the 51-byte footer (absolute range), then the TOC member (see `estargz_read.rs`);
//!   stargz-snapshotter's zstd:chunked: one range, TOC through the blob's end;
//! * gzip, tar: nothing.

pub mod eligibility;
mod estargz_read;
mod footer_read;
pub mod hazards;
pub mod report;

use crate::error::{Error, Result};
use crate::format::annotations::{ChunkedAnnotations, LayerAnnotations, Namespace, Section};
use crate::format::digest::Digest;
use crate::format::footer::FOOTER_READ_LEN;
use crate::format::tarsplit;
use crate::format::toc::{self, Toc};
use crate::format::zstd::{self, is_skippable_header, SKIPPABLE_HEADER_LEN};
use crate::model::LayerFiles;
use crate::oci::{compression_of, Descriptor};
use eligibility::{PullVerdict, VerdictCode};
use report::*;

/// The reference puller's cap on the TOC, compressed and uncompressed (150 MiB).
pub const MAX_TOC: u64 = 150 << 20;
/// Our cap on the compressed tar-split, which is held in memory while it is checked (1 GiB). The
/// reference puller has no cap; a real one is about 16 bytes per entry (8.3 MB for 510,000).
pub const MAX_TAR_SPLIT: u64 = 1 << 30;
/// Our cap on the decompressed tar-split (8 GiB), which bounds the time a check can take; its
/// memory does not grow with it (it is checked line by line). The reference puller streams it
/// to disk uncapped. A layer at the TOC limit (150 MiB of JSON, about 1.3 million entries of the
/// smallest a real writer makes) with a PAX header on every entry has a tar-split of about
/// 4 GiB. A tar-split over either cap is not read: the layer is inspected as with `--toc-only`,
/// and its tar-split report says why ([`report::NotReadCode::TarSplitOverLimit`]).
pub const MAX_TAR_SPLIT_DECODED: u64 = 8 << 30;

/// What to read beyond the minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InspectOptions {
    /// Read the tar-split too (same single range), verify it and check it against the TOC.
    pub tar_split: bool,
    /// Also read and check the footer. With annotations it extends the one range to the blob's
    /// end (72 more bytes) rather than adding a request.
    pub footer: bool,
    /// Include `fileList` in the report.
    pub files: bool,
}

pub use crate::range::ByteRange;

/// Where an inspection is: the one read it waits for (and what it will do with the bytes), or
/// how it ended. The machine steers by this alone, never by what its report says so far.
enum State {
    /// No annotations: waiting for the blob's last bytes, whose footer (if any) locates the
    /// metadata.
    LocateFooter(ByteRange),
    /// The metadata was read at the annotated positions; waiting for the blob's last bytes to
    /// check the footer against the annotations (`footer` option, when the metadata range could
    /// not run on to the blob's end).
    CheckFooter(ByteRange),
    /// eStargz: waiting for the blob's last 51 bytes.
    EstargzFooter(ByteRange),
    /// eStargz: waiting for the TOC gzip member.
    EstargzToc(ByteRange),
    /// Waiting for the metadata range.
    Metadata {
        range: ByteRange,
        plan: MetadataPlan,
    },
    /// Every read is done.
    Done,
    /// An error ended the inspection; it is in the report.
    Failed,
}

impl State {
    /// The read this state waits for.
    fn pending(&self) -> Option<ByteRange> {
        match self {
            State::LocateFooter(r)
            | State::CheckFooter(r)
            | State::EstargzFooter(r)
            | State::EstargzToc(r)
            | State::Metadata { range: r, .. } => Some(*r),
            State::Done | State::Failed => None,
        }
    }
}

#[derive(Clone, Copy)]
struct MetadataPlan {
    toc: Section,
    /// Whether the annotations give a digest to authenticate the TOC with.
    authenticated: bool,
    tar_split: Option<Section>,
    /// Whether the range runs on to the blob's end to include the footer.
    footer_in_range: bool,
    /// Whether the range covers the tar-split too.
    read_tar_split: bool,
    /// Whether the blob's last bytes were already read (their footer located the metadata).
    footer_read: bool,
}

/// The inspection of one layer. See the module docs for the protocol.
pub struct LayerInspection {
    desc: Descriptor,
    opts: InspectOptions,
    state: State,
    annotations: Option<ChunkedAnnotations>,
    report: LayerReport,
    files: Option<LayerFiles>,
    tar_split_digest: Option<Digest>,
    estargz: Option<estargz_read::EstargzState>,
    /// The reference puller's verdict, once a rule decided it.
    verdict: Option<PullVerdict>,
    /// Whether the tar-split is being processed (errors then make `invalid-tar-split`).
    in_tar_split: bool,
    /// The tar-split asked for but over our cap, so not read.
    tar_split_not_read: Option<NotRead<TarSplitSize>>,
}

/// What an inspection leaves behind: the report, and the parsed model for further use
/// (planning, file previews, the UI).
pub struct InspectedLayer {
    /// The report (the `--json` layer object).
    pub report: LayerReport,
    /// The file model from the TOC; `None` when the TOC was not (or could not be) read.
    pub files: Option<LayerFiles>,
    /// The TOC's `tarSplitDigest` (without it the reference puller pulls the layer whole).
    pub tar_split_digest: Option<Digest>,
    /// The annotated TOC digest (the key a puller uses for layer reuse).
    pub toc_digest: Option<Digest>,
    /// What the reference puller does with the layer (the same value as `report.partial_pull`).
    pub verdict: PullVerdict,
}

/// The parsed model of an inspected layer without its report: what an image keeps per layer
/// beside its image report (`ImageReport`, which holds the reports), so that no
/// report is held twice.
pub struct LayerModel {
    /// The file model from the TOC; `None` when the TOC was not (or could not be) read.
    pub files: Option<LayerFiles>,
    /// The TOC's `tarSplitDigest` (without it the reference puller pulls the layer whole).
    pub tar_split_digest: Option<Digest>,
    /// The annotated TOC digest (the key a puller uses for layer reuse).
    pub toc_digest: Option<Digest>,
    /// What the reference puller does with the layer (the same value as `partialPull`).
    pub verdict: PullVerdict,
}

impl InspectedLayer {
    /// The report and the model, apart.
    pub fn split(self) -> (LayerReport, LayerModel) {
        (
            self.report,
            LayerModel {
                files: self.files,
                tar_split_digest: self.tar_split_digest,
                toc_digest: self.toc_digest,
                verdict: self.verdict,
            },
        )
    }
}

impl LayerInspection {
    /// Starts inspecting the layer `desc` describes. Nothing is read yet: ask
    /// [`next_read`](Self::next_read). A descriptor that cannot be inspected (bad annotations, a
    /// blob over the size limit) ends the inspection at once, with the error in the report.
    pub fn new(desc: &Descriptor, opts: InspectOptions) -> LayerInspection {
        let mut me = LayerInspection {
            desc: desc.clone(),
            opts,
            state: State::Done,
            annotations: None,
            report: LayerReport {
                digest: desc.digest.clone(),
                media_type: desc.media_type.clone(),
                size: desc.size,
                format: compression_of(&desc.media_type),
                annotations: AnnotationNamespace::None,
                ..LayerReport::default()
            },
            files: None,
            tar_split_digest: None,
            tar_split_not_read: None,
            estargz: None,
            verdict: None,
            in_tar_split: false,
        };
        if let Err(e) = me.start() {
            me.fail(e);
        }
        me
    }

    fn start(&mut self) -> Result<()> {
        if self.desc.size > crate::oci::MAX_BLOB_SIZE {
            return Err(Error::TooLarge {
                what: "blob size".into(),
                size: self.desc.size,
                limit: crate::oci::MAX_BLOB_SIZE,
            });
        }
        let compression = compression_of(&self.desc.media_type);
        match LayerAnnotations::parse(&self.desc.annotations)? {
            LayerAnnotations::ZstdChunked(a) => {
                self.report.annotations = a.namespace.into();
                self.report.format = if a.namespace == Namespace::Current && a.tar_split.is_some() {
                    LayerFormat::ZstdChunked
                } else {
                    LayerFormat::ZstdChunkedLegacy
                };
                let plan = MetadataPlan {
                    toc: a.toc,
                    authenticated: true,
                    tar_split: a.tar_split,
                    footer_in_range: false,
                    read_tar_split: false,
                    footer_read: false,
                };
                self.annotations = Some(a);
                self.plan_metadata(plan)
            }
            LayerAnnotations::Estargz { toc_digest, .. } => self.start_estargz(&toc_digest),
            LayerAnnotations::None
                if matches!(compression, LayerFormat::Zstd | LayerFormat::Unknown) =>
            {
                // Maybe zstd:chunked without its descriptor annotations: the footer tells.
                if self.desc.size == 0 {
                    self.no_partial("empty blob");
                    return Ok(());
                }
                self.state = State::LocateFooter(self.tail());
                Ok(())
            }
            LayerAnnotations::None => {
                if let Err(v) = eligibility::by_descriptor(&self.desc) {
                    self.set_verdict(v);
                }
                Ok(())
            }
        }
    }

    /// Records the verdict for a layer the reference decides on by its descriptor alone, with a
    /// more specific reason.
    fn no_partial(&mut self, reason: &str) {
        let mut v = eligibility::by_descriptor(&self.desc)
            .err()
            .unwrap_or_else(|| {
                PullVerdict::invalid_metadata(
                    &self.desc.digest,
                    VerdictCode::MetadataUnreadable,
                    reason,
                )
            });
        v.reason = reason.to_string();
        self.set_verdict(v);
    }

    fn set_verdict(&mut self, v: PullVerdict) {
        self.report.partial_pull = PartialPull::from(&v);
        self.verdict = Some(v);
    }

    /// Validates positions against the blob size, then decides the one metadata range.
    fn plan_metadata(&mut self, mut plan: MetadataPlan) -> Result<()> {
        let size = self.desc.size;
        let toc = plan.toc;
        if toc.offset < SKIPPABLE_HEADER_LEN || toc.end() > size || toc.length == 0 {
            return Err(Error::Layout(format!(
                "TOC at {}..{} does not fit in a blob of {size} bytes",
                toc.offset,
                toc.end()
            )));
        }
        for (what, n) in [
            (TocSize::Compressed, toc.length),
            (TocSize::Uncompressed, toc.uncompressed_length),
        ] {
            if n > MAX_TOC {
                // The reference puller never reads such a TOC: it pulls the layer whole. That
                // is the answer, not an error; the TOC is not read here either.
                self.over_limit(toc, what, n);
                return Ok(());
            }
        }
        if let Some(ts) = plan.tar_split {
            if ts.offset < toc.end() || ts.end() > size {
                return Err(Error::Layout(format!(
                    "tar-split at {}..{} does not fit after the TOC in {size} bytes",
                    ts.offset,
                    ts.end()
                )));
            }
        }
        let mut end = toc.end();
        if self.opts.tar_split {
            if let Some(ts) = plan.tar_split {
                // Over our cap (the reference has none): not an error, the tar-split is left
                // unread and the layer inspected as with --toc-only.
                self.tar_split_not_read = [
                    (TarSplitSize::Compressed, ts.length, MAX_TAR_SPLIT),
                    (
                        TarSplitSize::Uncompressed,
                        ts.uncompressed_length,
                        MAX_TAR_SPLIT_DECODED,
                    ),
                ]
                .into_iter()
                .find(|&(_, n, limit)| n > limit)
                .map(|(what, size, limit)| NotRead {
                    code: NotReadCode::TarSplitOverLimit,
                    what,
                    size,
                    limit,
                });
                if self.tar_split_not_read.is_none() {
                    end = ts.end();
                    plan.read_tar_split = true;
                }
            }
        }
        // stargz-snapshotter's zstd:chunked: its last 51 bytes decide the insecure-mode verdict.
        let want_tail = self.opts.footer || self.estargz.is_some();
        if want_tail && !plan.footer_read && size - end <= FOOTER_READ_LEN {
            end = size;
            plan.footer_in_range = true;
        }
        self.state = State::Metadata {
            range: ByteRange {
                offset: toc.offset,
                length: end - toc.offset,
            },
            plan,
        };
        Ok(())
    }

    /// A TOC over [`MAX_TOC`]: recorded where it is, not read, and the verdict is what the
    /// reference puller does (with annotations: `toc-over-limit`, a full pull; without: the
    /// full pull it already was, the reason saying why the TOC was not read).
    fn over_limit(&mut self, toc: Section, what: TocSize, size: u64) {
        self.report.toc = Some(SectionReport {
            offset: toc.offset,
            length: toc.length,
            uncompressed_length: toc.uncompressed_length,
            digest_verified: false,
        });
        self.report.not_read = Some(NotRead {
            code: NotReadCode::TocOverLimit,
            what,
            size,
            limit: MAX_TOC,
        });
        let v = match eligibility::by_descriptor(&self.desc) {
            Err(v) => v,
            // Unreachable with annotations (the descriptor rule sees the same sizes), kept
            // total: the reference's rule, stated here.
            Ok(_) => PullVerdict::toc_over_limit(what, size),
        };
        let mut v = v;
        if v.code != VerdictCode::TocOverLimit {
            v.reason.push_str(&format!(
                "; its {what} of {size} bytes is over the 150 MiB limit, so chunkscope did not read it either"
            ));
        }
        self.set_verdict(v);
        self.state = State::Done;
    }

    /// The blob's last [`FOOTER_READ_LEN`] bytes (all of a smaller blob).
    fn tail(&self) -> ByteRange {
        let len = FOOTER_READ_LEN.min(self.desc.size);
        ByteRange {
            offset: self.desc.size - len,
            length: len,
        }
    }

    /// The next range to read, or `None` when the inspection is complete.
    pub fn next_read(&self) -> Option<ByteRange> {
        self.state.pending()
    }

    /// Hands over the bytes of the range [`next_read`](Self::next_read) returned.
    ///
    /// Any error while a read is pending (bytes of the wrong length, bytes that do not parse or
    /// verify) ends the inspection: the report keeps what was learned, plus the error, and
    /// `next_read` is `None`. A call with no read pending (after the last read, or after an
    /// error) is a protocol error ([`ErrorKind::Internal`](crate::error::ErrorKind::Internal))
    /// that changes nothing.
    pub fn feed(&mut self, data: &[u8]) -> Result<()> {
        let Some(range) = self.state.pending() else {
            let why = match self.state {
                State::Failed => "feed() called after the inspection ended with an error",
                _ => "feed() called with no read pending",
            };
            return Err(Error::Internal(why.into()));
        };
        let state = std::mem::replace(&mut self.state, State::Done);
        let got = data.len() as u64;
        let r = if got < range.length {
            // The source had fewer bytes than the descriptor promised.
            Err(Error::Truncated {
                what: "range read",
                needed: range.length,
                got,
            })
        } else if got > range.length {
            Err(Error::Internal(format!(
                "feed() given {got} bytes for a read of {}",
                range.length
            )))
        } else {
            self.report.reads += 1;
            self.report.bytes_read += range.length;
            self.report.read_log.push(range);
            self.on_read(state, data)
        };
        if let Err(e) = &r {
            self.fail(e.clone());
        }
        r
    }

    /// What the bytes of the read `state` waited for mean; sets the next state.
    fn on_read(&mut self, state: State, data: &[u8]) -> Result<()> {
        match state {
            State::LocateFooter(_) => self.on_footer(data),
            State::CheckFooter(_) => {
                self.check_footer(data);
                Ok(())
            }
            State::EstargzFooter(_) => self.on_estargz_footer(data),
            State::EstargzToc(range) => self.on_estargz_toc(range, data),
            State::Metadata { range, plan } => {
                self.on_metadata(range, plan, data)?;
                // A footer check the metadata range could not cover: its own absolute range.
                if self.opts.footer && !plan.footer_read && !plan.footer_in_range {
                    self.state = State::CheckFooter(self.tail());
                }
                Ok(())
            }
            State::Done | State::Failed => Err(Error::Internal(
                "a read was handed to an inspection with none pending".into(),
            )),
        }
    }

    /// Ends the inspection because a read failed; the error goes into the report.
    pub fn abort(&mut self, e: Error) {
        self.fail(e);
    }

    /// The one way out on an error: the state becomes [`State::Failed`], the verdict says what
    /// the reference puller makes of the failure, and the report keeps the error.
    fn fail(&mut self, e: Error) {
        self.state = State::Failed;
        if self.verdict.as_ref().is_none_or(PullVerdict::is_partial) {
            // The descriptor rules come first; if they let the layer through, the metadata
            // itself is what the reference would fail on.
            let v = match eligibility::by_descriptor(&self.desc) {
                Err(v) => v,
                Ok(_) => {
                    let code = match &e {
                        Error::Io(_)
                        | Error::Network { .. }
                        | Error::Timeout { .. }
                        | Error::Cors { .. }
                        | Error::Http { .. }
                        | Error::RangeIgnored { .. }
                        | Error::Internal(_) => VerdictCode::MetadataUnreadable,
                        _ if self.in_tar_split => VerdictCode::InvalidTarSplit,
                        _ => VerdictCode::InvalidToc,
                    };
                    PullVerdict::invalid_metadata(&self.desc.digest, code, &upstream_text(&e, code))
                }
            };
            self.set_verdict(v);
        }
        self.report.error = Some(e);
    }

    fn check(&mut self, name: CheckName, pass: bool, detail: String) {
        let state = if pass {
            CheckState::Pass
        } else {
            CheckState::Fail
        };
        self.report.checks.insert(
            name,
            Check {
                state,
                detail: Some(detail),
            },
        );
    }

    fn on_metadata(&mut self, range: ByteRange, plan: MetadataPlan, data: &[u8]) -> Result<()> {
        let at = |off: u64| (off - range.offset) as usize;
        let toc_sec = plan.toc;
        let toc_bytes = &data[at(toc_sec.offset)..at(toc_sec.end())];
        let mut footer_found = plan.footer_read;
        if plan.footer_in_range {
            footer_found =
                self.check_footer(&data[data.len().saturating_sub(FOOTER_READ_LEN as usize)..]);
            if self.estargz.is_some() {
                self.reference_footer(data);
            }
        }
        // 1. Authenticate the compressed TOC before parsing a byte of it.
        let mut verified = false;
        if let (true, Some(a)) = (plan.authenticated, &self.annotations) {
            a.toc_digest.verify("TOC", toc_bytes)?;
            verified = true;
            self.check(
                CheckName::TocDigest,
                true,
                format!(
                    "sha256 of the {} compressed TOC bytes = {}",
                    toc_sec.length, a.toc_digest
                ),
            );
        }
        self.report.toc = Some(SectionReport {
            offset: toc_sec.offset,
            length: toc_sec.length,
            uncompressed_length: toc_sec.uncompressed_length,
            digest_verified: verified,
        });
        if let Some(ts) = plan.tar_split {
            self.report.tar_split = Some(TarSplitReport {
                offset: ts.offset,
                length: ts.length,
                uncompressed_length: ts.uncompressed_length,
                digest_verified: false,
                tar_size: None,
                not_read: self.tar_split_not_read.clone(),
            });
            self.check(
                CheckName::TarsplitFollowsToc,
                ts.offset == toc_sec.end() + SKIPPABLE_HEADER_LEN,
                format!(
                    "tar-split offset {} = TOC end {} + 8",
                    ts.offset,
                    toc_sec.end()
                ),
            );
            if !footer_found {
                // 72: the current footer frame; 64: c/storage 1.47-1.49's, which also had tar-splits.
                let tail = self.desc.size.saturating_sub(ts.end());
                self.check(
                    CheckName::BlobSizeMatchesMetadata,
                    tail == 72 || tail == 64,
                    format!(
                        "tar-split end {} + {tail} bytes = blob size {}; a footer frame is 72 bytes (64 for c/storage 1.47-1.49)",
                        ts.end(),
                        self.desc.size
                    ),
                );
            }
        }
        // 2. Decompress (bounded by the declared length, checked before any read) and parse.
        // (Parsing straight from the decoder was tried: slower. The peak is here, the JSON text
        // and the parsed entries together: 1.9x the text on a 154,000-entry layer natively.)
        let expected = toc_sec.uncompressed_length;
        let json = zstd::decompress_exact("TOC", toc_bytes, expected, MAX_TOC)?;
        self.check_estargz_json(&json)?;
        let toc = toc::parse(&json)?;
        drop(json);
        self.check(
            CheckName::TocUncompressedLength,
            true,
            format!("TOC decompresses to the declared {expected} bytes"),
        );
        self.report.entries = toc.entries.len();
        self.report.pull_hazards = hazards::from_toc(&toc);
        self.assess_partial_pull(&toc, plan.read_tar_split);

        // 3. The tar-split, when it was read.
        if let (Some(ts), true) = (plan.tar_split, plan.read_tar_split) {
            self.in_tar_split = true;
            let header = &data[at(ts.offset - SKIPPABLE_HEADER_LEN)..at(ts.offset)];
            self.check(
                CheckName::TarsplitInSkippableFrame,
                is_skippable_header(header, ts.length),
                format!(
                    "the 8 bytes before the tar-split are a skippable-frame header for {} bytes",
                    ts.length
                ),
            );
            let ts_bytes = &data[at(ts.offset)..at(ts.end())];
            match &toc.tar_split_digest {
                Some(d) => {
                    d.verify("tar-split", ts_bytes)?;
                    self.check(
                        CheckName::TarsplitDigest,
                        true,
                        format!(
                            "sha256 of the {} compressed tar-split bytes = TOC tarSplitDigest",
                            ts.length
                        ),
                    );
                }
                None => self.check(
                    CheckName::TarsplitDigest,
                    false,
                    "the TOC has no tarSplitDigest: the tar-split is not authenticated".into(),
                ),
            }
            // Checked line by line as it decompresses: the decoded tar-split (hundreds of MB
            // for a big layer) is never held, only a few batches of lines and the TOC's name
            // index (natively, decoding runs on a second thread).
            let (split, corr) = tarsplit::check_compressed(
                &toc,
                ts_bytes,
                ts.uncompressed_length,
                MAX_TAR_SPLIT_DECODED,
            )?;
            self.check(
                CheckName::TarsplitUncompressedLength,
                true,
                format!(
                    "tar-split decompresses to the declared {} bytes",
                    ts.uncompressed_length
                ),
            );
            self.check(
                CheckName::TocMatchesTarsplit,
                corr.ok(),
                if corr.ok() {
                    format!(
                        "{} TOC entries and {} tar headers correspond 1:1 in every field containers/storage compares",
                        corr.toc_entries, corr.tar_members
                    )
                } else {
                    format!(
                        "{} differences: {}",
                        corr.problem_count,
                        corr.problems.join("; ")
                    )
                },
            );
            self.check(
                CheckName::TarsplitRecordsMatchHeaders,
                corr.record_mismatch_count == 0,
                if corr.record_mismatch_count == 0 {
                    "every tar-split file record is named as the header before it".into()
                } else {
                    format!(
                        "{} file records differ from their headers: {}",
                        corr.record_mismatch_count,
                        corr.record_mismatches.join("; ")
                    )
                },
            );
            self.report.toc_tar_split_differences = corr.differences.clone();
            if let (Some(first), true) = (
                corr.first_error.as_deref(),
                self.verdict.as_ref().is_some_and(PullVerdict::is_partial),
            ) {
                self.set_verdict(PullVerdict::toc_tar_split_mismatch(
                    &self.desc.digest,
                    first,
                ));
            }
            self.in_tar_split = false;
            if let Some(r) = &mut self.report.tar_split {
                r.digest_verified = toc.tar_split_digest.is_some();
                r.tar_size = Some(split.tar_size);
            }
        }
        self.tar_split_digest = toc.tar_split_digest.clone();
        self.estargz_entries(&toc);
        self.record_files(toc, toc_sec.offset - SKIPPABLE_HEADER_LEN);
        self.estargz_verdicts();
        Ok(())
    }

    /// The file model from a parsed TOC, its extent check and its counts.
    fn record_files(&mut self, toc: Toc, payload_end: u64) {
        let files = LayerFiles::build(toc, payload_end);
        self.check(
            CheckName::ChunkExtents,
            files.problems.is_empty(),
            if files.problems.is_empty() {
                "every chunk has a positive compressed extent, payloads ascend and end before the TOC".into()
            } else {
                files.problems.join("; ")
            },
        );
        let c = files.counts();
        self.report.files = c.files;
        self.report.directories = c.dirs;
        self.report.symlinks = c.symlinks;
        self.report.hardlinks = c.hardlinks;
        self.report.chunks = c.chunks;
        self.report.zero_chunks = c.zero_chunks;
        self.report.multi_chunk_files = c.multi_chunk_files;
        self.report.payload_bytes = c.payload_bytes;

        if self.opts.files {
            self.report.file_list = Some(files.files.iter().map(FileReport::from).collect());
        }
        self.files = Some(files);
    }

    /// The reference puller's verdict ([`eligibility`]), once the TOC is known.
    fn assess_partial_pull(&mut self, toc: &Toc, tar_split_read: bool) {
        if self.verdict.is_some() || self.annotations.is_none() {
            return;
        }
        let verdict = eligibility::by_descriptor(&self.desc).and_then(|a| {
            eligibility::by_toc(&self.desc.digest, &a, toc.tar_split_digest.is_some())
        });
        let mut v = verdict.err().unwrap_or_else(if tar_split_read {
            PullVerdict::partial
        } else {
            PullVerdict::partial_unchecked
        });
        if let (Some(nr), VerdictCode::TarSplitNotChecked) = (&self.tar_split_not_read, v.code) {
            v.reason = format!(
                "partial pull if the tar-split matches the TOC: it was not read ({} of {} bytes is over chunkscope's {}-byte limit; the reference puller has none), and a mismatch makes the reference pull fail",
                nr.what, nr.size, nr.limit
            );
        }
        self.set_verdict(v);
    }

    /// Ends the inspection and returns what was learned.
    pub fn finish(mut self) -> InspectedLayer {
        if self.next_read().is_some() {
            self.fail(Error::Internal(
                "finish() called before all reads were done".into(),
            ));
        }
        InspectedLayer {
            verdict: self.verdict.unwrap_or_else(PullVerdict::not_read),
            report: self.report,
            files: self.files,
            tar_split_digest: self.tar_split_digest,
            toc_digest: self.annotations.map(|a| a.toc_digest),
        }
    }
}

/// How containers/storage words a metadata failure, where chunkscope knows its wording
/// (`readZstdChunkedManifest`, `decodeAndValidateBlob`); otherwise chunkscope's own text.
fn upstream_text(e: &Error, code: VerdictCode) -> String {
    let part = if code == VerdictCode::InvalidTarSplit {
        "tar-split"
    } else {
        "TOC"
    };
    match e {
        Error::DigestMismatch {
            expected, actual, ..
        } => format!(
            "validating and decompressing {part}: invalid blob checksum, expected checksum {expected}, got {actual}"
        ),
        Error::Toc(m) => format!("unmarshaling TOC: {m}"),
        other => other.to_string(),
    }
}

/// Inspects one layer to its end with any async reader: the one read loop every adapter uses
/// (files, registries, browser `Blob`s). `read` must return exactly the bytes of the range it is
/// given; a failed read ends the inspection and its error goes into the report, so this never
/// fails: errors are in [`InspectedLayer::report`].
pub async fn inspect_layer<F>(
    desc: &Descriptor,
    opts: InspectOptions,
    mut read: F,
) -> InspectedLayer
where
    F: AsyncFnMut(ByteRange) -> Result<Vec<u8>>,
{
    let mut insp = LayerInspection::new(desc, opts);
    while let Some(r) = insp.next_read() {
        match read(r).await {
            Ok(bytes) => {
                if insp.feed(&bytes).is_err() {
                    break;
                }
            }
            Err(e) => {
                insp.abort(e);
                break;
            }
        }
    }
    insp.finish()
}

/// [`inspect_layer`] with a synchronous reader (files, bytes in memory, tests, simple tools).
///
/// # Panics
/// If `read` is not synchronous after all (see [`crate::executor::block_on`]); a closure
/// returning a `Result` never is.
pub fn inspect_layer_blocking<F>(
    desc: &Descriptor,
    opts: InspectOptions,
    mut read: F,
) -> InspectedLayer
where
    F: FnMut(ByteRange) -> Result<Vec<u8>>,
{
    crate::executor::block_on(inspect_layer(desc, opts, async |r| read(r)))
}

/// The protocol itself: which reads are asked for, in which order, and what misuse gives.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::oci::Manifest;
    use std::path::Path;

    /// tests/fixtures/tiny-current's one layer: descriptor and blob. (TOC at 323422 + 3468,
    /// tar-split at 326898 + 3418, a 72-byte footer frame; 330388 bytes.)
    fn tiny() -> (Descriptor, Vec<u8>) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny-current");
        let blob = |d: &str| {
            let hex = d.strip_prefix("sha256:").expect("a sha256 digest");
            std::fs::read(dir.join("blobs/sha256").join(hex)).expect("fixture blob")
        };
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("index.json")).expect("index.json"))
                .expect("index JSON");
        let digest = index["manifests"][0]["digest"].as_str().expect("manifest");
        let m: Manifest = serde_json::from_slice(&blob(digest)).expect("manifest JSON");
        let desc = m.layers[0].clone();
        let bytes = blob(&desc.digest);
        assert_eq!(bytes.len() as u64, desc.size);
        (desc, bytes)
    }

    fn slice(blob: &[u8], r: ByteRange) -> &[u8] {
        &blob[r.offset as usize..r.end() as usize]
    }

    /// tiny-current inspected TOC-only with the `footer` option.
    fn footer_check() -> (Descriptor, Vec<u8>, LayerInspection) {
        let (desc, blob) = tiny();
        let opts = InspectOptions {
            footer: true,
            ..InspectOptions::default()
        };
        let insp = LayerInspection::new(&desc, opts);
        (desc, blob, insp)
    }

    const TOC: ByteRange = ByteRange {
        offset: 323_422,
        length: 3468,
    };

    #[test]
    fn an_annotated_layer_is_one_read_then_done() {
        let (desc, blob) = tiny();
        let mut insp = LayerInspection::new(&desc, InspectOptions::default());
        assert_eq!(insp.next_read(), Some(TOC));
        insp.feed(slice(&blob, TOC)).expect("the TOC verifies");
        assert_eq!(insp.next_read(), None);
        let done = insp.finish();
        assert_eq!(done.report.error, None);
        assert_eq!(done.report.read_log, [TOC]);
        assert!(done.verdict.is_partial());
    }

    #[test]
    fn feed_without_a_pending_read_is_an_internal_error_that_changes_nothing() {
        // A gzip layer: nothing to read at all.
        let desc = Descriptor::new(
            "application/vnd.oci.image.layer.v1.tar+gzip",
            format!("sha256:{}", "a".repeat(64)),
            1000,
            Default::default(),
        );
        let mut insp = LayerInspection::new(&desc, InspectOptions::default());
        assert_eq!(insp.next_read(), None);
        let e = insp.feed(&[0; 10]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal, "{e}");
        let r = insp.finish().report;
        assert_eq!((r.error, r.reads, r.bytes_read), (None, 0, 0));
    }

    #[test]
    fn a_second_feed_for_the_same_read_is_an_internal_error_that_changes_nothing() {
        let (desc, blob) = tiny();
        let mut insp = LayerInspection::new(&desc, InspectOptions::default());
        let r = insp.next_read().unwrap();
        insp.feed(slice(&blob, r)).unwrap();
        let e = insp.feed(slice(&blob, r)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal, "{e}");
        let done = insp.finish();
        assert_eq!(
            done.report.error, None,
            "the finished report is kept as it was"
        );
        assert_eq!((done.report.reads, done.report.bytes_read), (1, r.length));
        assert!(done.report.checks.values().all(Check::passed));
    }

    #[test]
    fn finish_before_the_reads_are_done_is_an_internal_error_in_the_report() {
        let (desc, _) = tiny();
        let insp = LayerInspection::new(&desc, InspectOptions::default());
        let done = insp.finish();
        let e = done.report.error.expect("an error");
        assert_eq!(e.kind(), ErrorKind::Internal, "{e}");
        assert_eq!(done.report.reads, 0);
        assert_eq!(done.verdict.code, VerdictCode::MetadataUnreadable);
        assert_eq!(
            done.report.partial_pull.code,
            VerdictCode::MetadataUnreadable
        );
    }

    #[test]
    fn the_footer_is_read_after_the_metadata_when_the_range_cannot_reach_it() {
        let (desc, blob, mut insp) = footer_check();
        // TOC only: the tar-split lies between the TOC and the footer, so the footer is a read
        // of its own, after the metadata.
        assert_eq!(insp.next_read(), Some(TOC));
        insp.feed(slice(&blob, TOC)).unwrap();
        let tail = ByteRange {
            offset: desc.size - 72,
            length: 72,
        };
        assert_eq!(insp.next_read(), Some(tail));
        insp.feed(slice(&blob, tail)).unwrap();
        assert_eq!(insp.next_read(), None);
        let r = insp.finish().report;
        assert_eq!(r.read_log, [TOC, tail]);
        assert_eq!(r.error, None);
        for c in [
            CheckName::FooterMagic,
            CheckName::BlobSizeMatchesFooter,
            CheckName::FooterMatchesAnnotations,
        ] {
            assert!(r.checks[&c].passed(), "{c:?}: {:?}", r.checks[&c]);
        }
        assert_eq!(r.footer.map(|f| f.variant), Some(FooterVariant::Current72));
    }

    #[test]
    fn with_the_tar_split_the_footer_rides_in_the_one_range() {
        let (desc, blob) = tiny();
        let opts = InspectOptions {
            footer: true,
            tar_split: true,
            ..InspectOptions::default()
        };
        let mut insp = LayerInspection::new(&desc, opts);
        let whole = ByteRange {
            offset: TOC.offset,
            length: desc.size - TOC.offset,
        };
        assert_eq!(insp.next_read(), Some(whole));
        insp.feed(slice(&blob, whole)).unwrap();
        assert_eq!(insp.next_read(), None);
        let r = insp.finish().report;
        assert_eq!(r.reads, 1);
        assert!(r.checks[&CheckName::FooterMagic].passed());
        assert!(!r.checks.contains_key(&CheckName::BlobSizeMatchesMetadata));
    }

    #[test]
    fn footer_bytes_fed_for_the_metadata_read_end_the_inspection() {
        let (_, blob, mut insp) = footer_check();
        assert_eq!(insp.next_read(), Some(TOC));
        // The driver hands over the blob's last 72 bytes instead of the TOC.
        let e = insp.feed(&blob[blob.len() - 72..]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Format, "{e}");
        assert!(matches!(
            e,
            Error::Truncated {
                needed: 3468,
                got: 72,
                ..
            }
        ));
        assert_eq!(insp.next_read(), None, "an error ends the inspection");
        let again = insp.feed(slice(&blob, TOC)).unwrap_err();
        assert_eq!(again.kind(), ErrorKind::Internal, "{again}");
        let done = insp.finish();
        assert_eq!(done.report.error, Some(e));
        assert_eq!(done.report.reads, 0);
    }

    #[test]
    fn too_many_bytes_are_an_internal_error_in_the_report() {
        let (desc, blob) = tiny();
        let mut insp = LayerInspection::new(&desc, InspectOptions::default());
        let long = ByteRange {
            offset: TOC.offset,
            length: TOC.length + 1,
        };
        let e = insp.feed(slice(&blob, long)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal, "{e}");
        assert_eq!(insp.next_read(), None);
        let done = insp.finish();
        assert_eq!(done.report.error, Some(e));
        assert_eq!(done.verdict.code, VerdictCode::MetadataUnreadable);
    }

    #[test]
    fn bad_metadata_ends_the_inspection_by_the_same_path() {
        let (desc, blob) = tiny();
        let mut insp = LayerInspection::new(&desc, InspectOptions::default());
        let mut toc = slice(&blob, TOC).to_vec();
        toc[100] ^= 0xff;
        let e = insp.feed(&toc).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Verification, "{e}");
        assert_eq!(insp.next_read(), None);
        let done = insp.finish();
        assert_eq!(done.report.error, Some(e));
        assert_eq!((done.report.reads, done.report.bytes_read), (1, TOC.length));
        assert_eq!(done.verdict.code, VerdictCode::InvalidToc);
    }
}
