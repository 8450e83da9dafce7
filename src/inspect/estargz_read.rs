//! Reading eStargz layers, and stargz-snapshotter's zstd:chunked ones, within the same
//! single-range state machine.
//!
//! * eStargz (gzip): the 51-byte footer as an absolute range (the blob size is known from the
//!   descriptor), then the TOC member `[tocOffset, size − footer)`: two single ranges, the same
//!   two containers/storage reads.
//! * stargz-snapshotter's `zstdchunked`: its legacy `io.containers.zstd-chunked.*` annotations
//!   locate the TOC; one range, TOC through the blob's end (the 48-byte footer frame follows the
//!   TOC), so the last 51 bytes (what containers/storage reads as an eStargz footer) are known too.
//!
//! The TOC JSON is checked against `containerd.io/snapshot/stargz/toc.digest` (sha256 of the
//! uncompressed JSON) in both cases.

use super::eligibility::{reading_manifest, PullOutcome, PullVerdict, RuleSource, VerdictCode};
use super::hazards::{self, HazardKind, HazardPull, PullHazard, MAX_EXAMPLES};
use super::report::{
    AnnotationNamespace, CheckName, EstargzKind, EstargzReport, FooterReport, Landmark, PartialPull,
};
use super::{ByteRange, LayerInspection, MetadataPlan, State, MAX_TOC};
use crate::error::{Error, Result};
use crate::format::annotations::{ChunkedAnnotations, Namespace, ESTARGZ_TOC_DIGEST};
use crate::format::digest::Digest;
use crate::format::estargz::{self, FOOTER_SIZE, LEGACY_FOOTER_SIZE};
use crate::format::toc::{self, EntryType, Toc};

/// containers/storage's message when it refuses an eStargz layer (insecure mode off).
pub const ESTARGZ_REFUSED: &str =
    "estargz layers don't support partial pulls with guaranteed consistency with non-partial pulls";

/// What the inspection keeps about an eStargz layer while it runs.
pub(super) struct EstargzState {
    pub toc_digest: Digest,
    /// Symlinks keep the pull time as mtime in an eStargz partial pull.
    pub symlink_hazard: Option<PullHazard>,
}

impl LayerInspection {
    /// The descriptor carries `containerd.io/snapshot/stargz/toc.digest` (and no current
    /// zstd:chunked annotations).
    pub(super) fn start_estargz(&mut self, toc_digest: &str) -> Result<()> {
        let digest = Digest::parse(toc_digest).map_err(|e| Error::Annotation {
            key: ESTARGZ_TOC_DIGEST.into(),
            value: toc_digest.into(),
            reason: e.to_string(),
        })?;
        self.report.annotations = AnnotationNamespace::Estargz;
        self.estargz = Some(EstargzState {
            toc_digest: digest,
            symlink_hazard: None,
        });
        let legacy = ChunkedAnnotations::legacy(&self.desc.annotations)?;
        let kind = if legacy.is_some() {
            EstargzKind::StargzZstdchunked
        } else {
            EstargzKind::Estargz
        };
        self.report.format = kind.format();
        self.report.estargz = Some(EstargzReport {
            kind,
            toc_digest: toc_digest.into(),
            toc_digest_verified: false,
            toc_tar_name: None,
            landmark: None,
            prioritized_files: Vec::new(),
            reference_footer_error: None,
            insecure_pull: PartialPull::default(),
            insecure_pull_hazards: Vec::new(),
        });
        // What containers/storage does by default, before reading anything.
        if let Err(mut v) = super::eligibility::by_descriptor(&self.desc) {
            v.reason = format!("{}: {ESTARGZ_REFUSED}; the layer is pulled whole (partial pulls only with insecure_allow_unpredictable_image_contents)", kind.describe());
            self.set_verdict(v);
        }
        match legacy {
            Some(a) => {
                debug_assert_eq!(a.namespace, Namespace::Legacy);
                let plan = MetadataPlan {
                    toc: a.toc,
                    authenticated: true,
                    tar_split: None,
                    footer_in_range: false,
                    read_tar_split: false,
                    footer_read: false,
                };
                self.annotations = Some(a);
                self.plan_metadata(plan)
            }
            None => {
                if self.desc.size < LEGACY_FOOTER_SIZE {
                    return Err(Error::Truncated {
                        what: "eStargz blob",
                        needed: LEGACY_FOOTER_SIZE,
                        got: self.desc.size,
                    });
                }
                let len = FOOTER_SIZE.min(self.desc.size);
                self.state = State::EstargzFooter(ByteRange {
                    offset: self.desc.size - len,
                    length: len,
                });
                Ok(())
            }
        }
    }

    /// The blob's last 51 bytes (or fewer for a tiny blob).
    pub(super) fn on_estargz_footer(&mut self, tail: &[u8]) -> Result<()> {
        self.reference_footer(tail);
        let f = match estargz::parse_footer(tail) {
            Ok(f) => f,
            Err(e) => {
                self.check(CheckName::FooterMagic, false, e.to_string());
                return Err(e);
            }
        };
        let size = self.desc.size;
        let toc_end = size - f.variant.size();
        self.check(
            CheckName::FooterMagic,
            true,
            format!(
                "{} eStargz footer found in the last {} bytes",
                f.variant.name(),
                f.variant.size()
            ),
        );
        let fits = f.toc_offset < toc_end;
        self.check(
            CheckName::BlobSizeMatchesFooter,
            fits,
            format!(
                "TOC member from {} to the footer at {toc_end} in a blob of {size} bytes",
                f.toc_offset
            ),
        );
        if !fits {
            return Err(Error::Layout(format!(
                "eStargz TOC offset {} is not before the footer at {toc_end}",
                f.toc_offset
            )));
        }
        let length = toc_end - f.toc_offset;
        self.report.footer = Some(FooterReport {
            variant: f.variant.into(),
            toc_offset: f.toc_offset,
            toc_length: length,
            toc_uncompressed_length: 0,
            tar_split_offset: None,
            tar_split_length: None,
            tar_split_uncompressed_length: None,
        });
        if length > MAX_TOC {
            return Err(Error::TooLarge {
                what: "eStargz TOC (compressed)".into(),
                size: length,
                limit: MAX_TOC,
            });
        }
        self.state = State::EstargzToc(ByteRange {
            offset: f.toc_offset,
            length,
        });
        Ok(())
    }

    /// What containers/storage's eStargz reader makes of the last 51 bytes (with insecure mode).
    pub(super) fn reference_footer(&mut self, data: &[u8]) {
        let last51 = &data[data.len().saturating_sub(FOOTER_SIZE as usize)..];
        let err = if self.desc.size <= FOOTER_SIZE {
            Some("blob too small".to_string())
        } else {
            estargz::reference_toc_offset(last51).err()
        };
        if let Some(r) = &mut self.report.estargz {
            r.reference_footer_error = err;
        }
    }

    /// The TOC member of a gzip eStargz layer.
    pub(super) fn on_estargz_toc(&mut self, range: ByteRange, data: &[u8]) -> Result<()> {
        let member = estargz::read_toc(data, MAX_TOC)?;
        self.check(
            CheckName::TocTarName,
            true,
            format!(
                "the TOC member is a gzip'd tar whose first entry is {}",
                member.tar_name
            ),
        );
        self.check_estargz_json(&member.json)?;
        let toc = toc::parse(&member.json).map_err(|e| match e {
            Error::Toc(m) => Error::EstargzToc { reason: m },
            e => e,
        })?;
        let json_len = member.json.len() as u64;
        drop(member.json);
        self.report.toc = Some(super::report::SectionReport {
            offset: range.offset,
            length: range.length,
            uncompressed_length: json_len,
            digest_verified: true,
        });
        if let Some(r) = &mut self.report.estargz {
            r.toc_tar_name = Some(member.tar_name);
        }
        self.report.entries = toc.entries.len();
        self.report.pull_hazards = hazards::from_toc(&toc);
        self.estargz_entries(&toc);
        self.record_files(toc, range.offset);
        self.estargz_verdicts();
        Ok(())
    }

    /// Checks TOC JSON against the eStargz TOC digest annotation. A mismatch ends the inspection.
    pub(super) fn check_estargz_json(&mut self, json: &[u8]) -> Result<()> {
        let Some(st) = &self.estargz else {
            return Ok(());
        };
        let d = st.toc_digest.clone();
        let r = estargz::verify_toc_digest(&d, json);
        self.check(
            CheckName::EstargzTocDigest,
            r.is_ok(),
            format!(
                "sha256 of the {} bytes of uncompressed TOC JSON = {ESTARGZ_TOC_DIGEST} {d}",
                json.len()
            ),
        );
        r?;
        if let Some(r) = &mut self.report.estargz {
            r.toc_digest_verified = true;
        }
        Ok(())
    }

    /// Landmarks and prioritized files, from the TOC order.
    pub(super) fn estargz_entries(&mut self, toc: &Toc) {
        if let Some(st) = &mut self.estargz {
            let links: Vec<&str> = toc
                .entries
                .iter()
                .filter(|e| e.kind == EntryType::Symlink)
                .map(|e| &*e.name)
                .collect();
            st.symlink_hazard = (!links.is_empty()).then(|| PullHazard {
                kind: HazardKind::SymlinkMtime,
                pull: HazardPull::Partial,
                count: links.len(),
                examples: links.iter().take(MAX_EXAMPLES).map(|s| s.to_string()).collect(),
                detail: "a partial pull of an eStargz layer leaves symlinks with the pull time as mtime (measured with podman 5.4.2 and insecure_allow_unpredictable_image_contents on estargz-small)".into(),
            });
        }
        let Some(r) = &mut self.report.estargz else {
            return;
        };
        let mut seen = Vec::new();
        for e in &toc.entries {
            match &*e.name {
                estargz::PREFETCH_LANDMARK => {
                    r.landmark = Some(Landmark::Prefetch);
                    r.prioritized_files = std::mem::take(&mut seen);
                    return;
                }
                estargz::NO_PREFETCH_LANDMARK => {
                    r.landmark = Some(Landmark::NoPrefetch);
                    return;
                }
                _ if e.kind == EntryType::Reg => seen.push(e.name.to_string()),
                _ => {}
            }
        }
    }

    /// The verdict with `insecure_allow_unpredictable_image_contents`, once the TOC was read.
    pub(super) fn estargz_verdicts(&mut self) {
        let blob = self.desc.digest.clone();
        let Some(r) = &mut self.report.estargz else {
            return;
        };
        let v = match &r.reference_footer_error {
            Some(e) => PullVerdict::fails(
                &blob,
                VerdictCode::EstargzFooterUnparsable,
                match r.kind {
                    EstargzKind::StargzZstdchunked => "containers/storage 1.57 reads only the io.github.containers.zstd-chunked.* keys, so it takes this layer for eStargz and reads its zstd footer as a gzip one: the pull fails, with no fallback".into(),
                    EstargzKind::Estargz => "the reference puller cannot read the TOC offset from the footer: the pull fails, with no fallback".into(),
                },
                &reading_manifest(e),
                RuleSource::ReadEstargzChunkedManifest,
            ),
            None => {
                // The layer's hazards gain eStargz's own (kept in HazardKind order: partial ones
                // first), and the insecure partial pull has all the partial ones.
                if let Some(h) = self.estargz.as_ref().and_then(|st| st.symlink_hazard.clone()) {
                    let at = self
                        .report
                        .pull_hazards
                        .iter()
                        .position(|x| x.pull != HazardPull::Partial)
                        .unwrap_or(self.report.pull_hazards.len());
                    self.report.pull_hazards.insert(at, h);
                }
                r.insecure_pull_hazards = self
                    .report
                    .pull_hazards
                    .iter()
                    .filter(|h| h.pull == HazardPull::Partial)
                    .cloned()
                    .collect();
                PullVerdict {
                    outcome: PullOutcome::Partial,
                    code: VerdictCode::Eligible,
                    reason: "with insecure_allow_unpredictable_image_contents the reference puller reads the footer and TOC and pulls only the missing chunks; the layer gets no DiffID".into(),
                    error: None,
                    source: RuleSource::ReadEstargzChunkedManifest,
                }
            }
        };
        r.insecure_pull = PartialPull::from(&v);
    }
}
