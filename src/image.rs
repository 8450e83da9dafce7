//! Inspecting a whole image: manifest (or index → platform manifest), config, then every layer.
//!
//! Written once, generic over an async [`ImageSource`], and used by every adapter: the browser
//! (`fetch`, truly async), and the native CLI (OCI layouts, blob files, a blocking HTTP client),
//! which drives the same future with [`block_on`](crate::executor::block_on). The sans-IO layer inspection does the
//! per-layer work; this module only decides which documents to ask for and checks their digests.

use crate::error::{Error, Result};
use crate::format::digest::Digest;
use crate::inspect::report::LayerReport;
use crate::inspect::{ByteRange, InspectOptions, LayerModel};
use crate::oci::{Descriptor, ImageConfig, Manifest, ManifestDoc, Platform, MAX_MANIFEST};
use crate::request_log::{ProgressPhase, RequestRecord};
use serde::Serialize;

/// A place images can be read from: an OCI layout directory, a registry, a single blob file.
#[allow(async_fn_in_trait)]
pub trait ImageSource {
    /// The manifest (or index) the source's reference names: bytes and media type if known.
    async fn root_manifest(&mut self) -> Result<(Vec<u8>, Option<String>)>;
    /// A whole blob or manifest by digest (configs, platform manifests), at most `limit` bytes.
    async fn fetch(&mut self, desc: &Descriptor, limit: u64) -> Result<Vec<u8>>;
    /// A platform manifest named by an index. Registries serve manifests from another endpoint
    /// than blobs; local sources keep both as blobs.
    async fn fetch_manifest(&mut self, desc: &Descriptor) -> Result<Vec<u8>> {
        self.fetch(desc, MAX_MANIFEST).await
    }
    /// Exactly `range` of the blob `desc`.
    async fn read_range(&mut self, desc: &Descriptor, range: ByteRange) -> Result<Vec<u8>>;
    /// Requests made so far (registry sources); empty for local ones.
    fn request_log(&self) -> Vec<RequestRecord> {
        Vec::new()
    }
    /// Called when the inspection moves on (`manifest`, `config`, `layer`), for progress display.
    fn progress(&mut self, _phase: ProgressPhase, _layer: Option<usize>) {}
    /// Called after layer `layer` is inspected, with its TOC entry count (0 when none was read).
    fn layer_inspected(&mut self, _layer: usize, _entries: usize) {}
}

/// An image: its manifest and one report per layer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageReport {
    /// What was inspected, as given (`oci:DIR:TAG`, `docker://…`, a registry reference).
    pub source: String,
    /// Digest of the image manifest inspected (the platform manifest when the reference named an index).
    pub manifest_digest: Option<String>,
    /// Media type of that manifest.
    pub manifest_media_type: Option<String>,
    /// `os/arch[/variant]` of the image, from the index or the config.
    pub platform: Option<String>,
    /// Platforms offered when the reference was an index.
    pub platforms: Vec<String>,
    /// Digest of the image config.
    pub config_digest: Option<String>,
    /// The config's `rootfs.diff_ids`: digests of the uncompressed layers.
    pub diff_ids: Vec<String>,
    /// One report per layer, in manifest order.
    pub layers: Vec<LayerReport>,
    /// Blob bytes read for all layers' metadata.
    pub bytes_read: u64,
    /// Blob ranges read for all layers' metadata.
    pub reads: usize,
    /// Every request made, manifests and configs included (registry sources only).
    pub requests: usize,
    /// Every body byte received (registry sources only).
    pub bytes_fetched: u64,
    /// The requests themselves (registry sources only).
    pub request_log: Vec<RequestRecord>,
}

/// An image with every layer inspected: the report (which holds the layer reports) and, per
/// layer in manifest order, the parsed model.
pub struct InspectedImage {
    /// The report, layer reports included.
    pub report: ImageReport,
    /// The image manifest the layers come from.
    pub manifest: Manifest,
    /// Per layer, in manifest order: the model parsed from its metadata (its report is
    /// `report.layers[i]`).
    pub layers: Vec<LayerModel>,
}

/// Resolves the source's reference to one image manifest (choosing `platform` from an index),
/// reads its config, and inspects every layer.
pub async fn inspect_image<S: ImageSource + ?Sized>(
    src: &mut S,
    name: &str,
    platform: Option<&Platform>,
    opts: InspectOptions,
) -> Result<InspectedImage> {
    let mut report = ImageReport {
        source: name.to_string(),
        ..ImageReport::default()
    };
    src.progress(ProgressPhase::Manifest, None);
    let (bytes, ct) = src.root_manifest().await?;
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
            let bytes = src.fetch_manifest(&d).await?;
            d.parsed_digest()?.verify("platform manifest", &bytes)?;
            manifest_digest = d.digest.clone();
            let mt = Some(d.media_type.as_str()).filter(|m| !m.is_empty());
            report.manifest_media_type = mt.map(str::to_string);
            match ManifestDoc::parse(&bytes, mt)? {
                ManifestDoc::Image(m) => m,
                ManifestDoc::Index(_) => {
                    return Err(Error::Oci("an image index inside an image index".into()))
                }
            }
        }
    };
    report.manifest_digest = Some(manifest_digest);
    report.config_digest = Some(manifest.config.digest.clone());
    src.progress(ProgressPhase::Config, None);
    let cfg = src.fetch(&manifest.config, MAX_MANIFEST).await?;
    manifest
        .config
        .parsed_digest()?
        .verify("image config", &cfg)?;
    let c: ImageConfig =
        serde_json::from_slice(&cfg).map_err(|e| Error::Oci(format!("image config: {e}")))?;
    if report.platform.is_none() && !c.os.is_empty() {
        report.platform = Some(format!("{}/{}", c.os, c.architecture));
    }
    report.diff_ids = c.rootfs.diff_ids;

    let mut layers = Vec::new();
    for (i, desc) in manifest.layers.iter().enumerate() {
        src.progress(ProgressPhase::Layer, Some(i));
        let (layer_report, model) =
            crate::inspect::inspect_layer(desc, opts, async |r| src.read_range(desc, r).await)
                .await
                .split();
        src.layer_inspected(i, layer_report.entries);
        report.bytes_read += layer_report.bytes_read;
        report.reads += layer_report.reads;
        report.layers.push(layer_report);
        layers.push(model);
    }
    report.request_log = src.request_log();
    report.requests = report.request_log.len();
    report.bytes_fetched = report.request_log.iter().map(|r| r.bytes).sum();
    src.progress(ProgressPhase::Done, None);
    Ok(InspectedImage {
        report,
        manifest,
        layers,
    })
}
