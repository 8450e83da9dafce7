//! Native adapters: where blobs come from when chunkscope runs outside a browser.
//!
//! An [`ImageSource`] hands out manifests, small blobs and byte ranges; [`inspect_image`] drives
//! the sans-IO [`LayerInspection`](crate::inspect::LayerInspection) over one. The browser has
//! its own async adapter over `fetch` with the same steps.

pub mod layout;

use crate::error::{Error, Result};
use crate::format::digest::Digest;
use crate::inspect::report::{ImageReport, RequestRecord};
use crate::inspect::{inspect_with, ByteRange, InspectOptions, InspectedLayer};
use crate::oci::{Descriptor, ImageConfig, Manifest, ManifestDoc, Platform, MAX_MANIFEST};

/// A place images can be read from: an OCI layout directory, a registry, a single blob file.
pub trait ImageSource {
    /// The manifest (or index) the source's reference names: bytes and media type if known.
    fn root_manifest(&mut self) -> Result<(Vec<u8>, Option<String>)>;
    /// A whole blob or manifest by digest (configs, platform manifests), at most `limit` bytes.
    fn fetch(&mut self, desc: &Descriptor, limit: u64) -> Result<Vec<u8>>;
    /// Exactly `range` of the blob `desc`.
    fn read_range(&mut self, desc: &Descriptor, range: ByteRange) -> Result<Vec<u8>>;
    /// Requests made so far (registry sources); empty for local ones.
    fn request_log(&self) -> Vec<RequestRecord> {
        Vec::new()
    }
}

/// An image with every layer inspected.
pub struct InspectedImage {
    pub report: ImageReport,
    pub manifest: Manifest,
    pub layers: Vec<InspectedLayer>,
}

/// Resolves the source's reference to one image manifest (choosing `platform` from an index),
/// reads its config, and inspects every layer.
pub fn inspect_image(
    src: &mut dyn ImageSource,
    name: &str,
    platform: Option<&Platform>,
    opts: InspectOptions,
) -> Result<InspectedImage> {
    let mut report = ImageReport {
        source: name.to_string(),
        ..ImageReport::default()
    };
    let (bytes, ct) = src.root_manifest()?;
    let mut manifest_digest = Digest::sha256(&bytes).to_string();
    let manifest = match ManifestDoc::parse(&bytes, ct.as_deref())? {
        ManifestDoc::Image(m) => {
            report.manifest_media_type = m.media_type.clone().or(ct);
            m
        }
        ManifestDoc::Index(idx) => {
            report.platforms = idx.platforms();
            let d = idx.select(platform)?.clone();
            report.platform = d.platform.as_ref().map(|p| p.to_string());
            let bytes = src.fetch(&d, MAX_MANIFEST)?;
            d.parsed_digest()?.verify("platform manifest", &bytes)?;
            manifest_digest = d.digest.clone();
            report.manifest_media_type = Some(d.media_type.clone());
            match ManifestDoc::parse(
                &bytes,
                Some(&d.media_type)
                    .filter(|m| !m.is_empty())
                    .map(|s| s.as_str()),
            )? {
                ManifestDoc::Image(m) => m,
                ManifestDoc::Index(_) => return Err(Error::Oci("nested image index".into())),
            }
        }
    };
    report.manifest_digest = Some(manifest_digest);
    report.config_digest = Some(manifest.config.digest.clone());
    if manifest.config.size <= MAX_MANIFEST {
        if let Ok(cfg) = src.fetch(&manifest.config, MAX_MANIFEST) {
            manifest
                .config
                .parsed_digest()?
                .verify("image config", &cfg)?;
            let c: ImageConfig = serde_json::from_slice(&cfg)
                .map_err(|e| Error::Oci(format!("image config: {e}")))?;
            if report.platform.is_none() && !c.os.is_empty() {
                report.platform = Some(format!("{}/{}", c.os, c.architecture));
            }
            report.diff_ids = c.rootfs.diff_ids;
        }
    }
    let mut layers = Vec::new();
    for desc in &manifest.layers {
        let layer = inspect_with(desc, opts, |r| src.read_range(desc, r));
        report.bytes_read += layer.report.bytes_read;
        report.reads += layer.report.reads;
        report.layers.push(layer.report.clone());
        layers.push(layer);
    }
    report.request_log = src.request_log();
    report.requests = report.request_log.len();
    report.bytes_fetched = report.request_log.iter().map(|r| r.bytes).sum();
    Ok(InspectedImage {
        report,
        manifest,
        layers,
    })
}
