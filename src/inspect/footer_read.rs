//! The footer reads of an inspection: finding the metadata of a blob that came without
//! annotations, and checking a footer against the annotations when asked to.

use super::report::{CheckName, FooterReport, LayerFormat};
use super::{LayerInspection, MetadataPlan};
use crate::error::{Error, Result};
use crate::format::footer::{self, Footer, FooterVariant};
use crate::oci::compression_of;

impl LayerInspection {
    /// Parses a footer read to check it (annotations already gave the positions): a bad footer
    /// is a failed check, not the end of the inspection. Returns whether a footer was found.
    pub(super) fn check_footer(&mut self, tail: &[u8]) -> bool {
        match footer::parse(tail) {
            Ok(f) => {
                self.record_footer(&f);
                true
            }
            Err(e) => {
                self.check(CheckName::FooterMagic, false, e.to_string());
                false
            }
        }
    }

    /// The blob's last bytes when no annotations located the metadata: a zstd:chunked footer
    /// locates it, else the layer is an ordinary one.
    pub(super) fn on_footer(&mut self, tail: &[u8]) -> Result<()> {
        let Ok(f) = footer::parse(tail) else {
            // No annotations and no footer: an ordinary zstd layer.
            self.report.format = compression_of(&self.desc.media_type);
            self.no_partial("no zstd:chunked annotations and no zstd:chunked footer: an ordinary layer, pulled whole");
            return Ok(());
        };
        self.record_footer(&f);
        self.report.format = if f.variant == FooterVariant::Current {
            LayerFormat::ZstdChunked
        } else {
            LayerFormat::ZstdChunkedLegacy
        };
        self.no_partial("no zstd:chunked annotations on the descriptor: the reference puller reads positions only from annotations, so it pulls this layer whole");
        if f.toc_type != 1 {
            return Err(Error::Footer(format!(
                "manifest type {} is not 1",
                f.toc_type
            )));
        }
        self.plan_metadata(MetadataPlan {
            toc: f.toc,
            authenticated: false,
            tar_split: f.tar_split,
            footer_in_range: false,
            read_tar_split: false,
            footer_read: true,
        })
    }

    fn record_footer(&mut self, f: &Footer) {
        self.report.footer = Some(FooterReport {
            variant: f.variant.into(),
            toc_offset: f.toc.offset,
            toc_length: f.toc.length,
            toc_uncompressed_length: f.toc.uncompressed_length,
            tar_split_offset: f.tar_split.map(|t| t.offset),
            tar_split_length: f.tar_split.map(|t| t.length),
            tar_split_uncompressed_length: f.tar_split.map(|t| t.uncompressed_length),
        });
        self.check(
            CheckName::FooterMagic,
            true,
            format!(
                "{} footer found in the last {} bytes",
                f.variant.name(),
                f.variant.frame_len()
            ),
        );
        let size = self.desc.size;
        let meta_end = f.tar_split.map(|t| t.end()).unwrap_or(f.toc.end());
        self.check(
            CheckName::BlobSizeMatchesFooter,
            meta_end.saturating_add(f.variant.frame_len()) == size,
            format!(
                "metadata ends at {meta_end}, + {}-byte footer frame = {}, blob size {size}",
                f.variant.frame_len(),
                meta_end.saturating_add(f.variant.frame_len())
            ),
        );
        if let Some(a) = &self.annotations {
            let same = a.toc == f.toc && (f.tar_split.is_none() || a.tar_split == f.tar_split);
            self.check(
                CheckName::FooterMatchesAnnotations,
                same,
                format!(
                    "footer TOC {:?} / tar-split {:?}; annotations TOC {:?} / tar-split {:?}",
                    f.toc, f.tar_split, a.toc, a.tar_split
                ),
            );
        }
    }
}
