//! The few OCI image-spec types chunkscope reads: descriptors, manifests, indexes, configs.
//!
//! Hand-written rather than taken from `oci-spec` to keep the wasm module small; fields we do
//! not use are ignored. Everything comes from registries or layout directories, so parsing is
//! strict about what we rely on (digest, size, media type) and lenient about the rest.

use crate::error::{Error, Result};
use crate::format::digest::Digest;
use crate::format::layer_format::LayerFormat;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The OCI image index media type.
pub const MT_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// The OCI image manifest media type.
pub const MT_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The Docker schema-2 manifest list media type.
pub const MT_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// The Docker schema-2 image manifest media type.
pub const MT_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// The layer media type zstd:chunked layers carry.
pub const MT_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// The two OCI types: 82 bytes, under the 128-byte limit for a CORS-safelisted `Accept`.
pub const ACCEPT_OCI: &str =
    "application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json";
/// The Docker schema-2 types, tried only when the OCI ones find nothing.
pub const ACCEPT_DOCKER: &str = "application/vnd.docker.distribution.manifest.list.v2+json,application/vnd.docker.distribution.manifest.v2+json";

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The media type of the referenced content.
    #[serde(default)]
    pub media_type: String,
    /// The content's digest, `algorithm:hex` (validated when a manifest is parsed; see [`Descriptor::parsed_digest`]).
    pub digest: String,
    /// The content's size in bytes.
    pub size: u64,
    /// The descriptor's annotations (for layers: where the zstd:chunked or eStargz metadata sits).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The platform of a manifest listed in an index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Alternative download URLs (read, never followed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
}

impl Descriptor {
    /// A descriptor with no platform or URLs (what a bare blob is described by).
    pub fn new(
        media_type: &str,
        digest: String,
        size: u64,
        annotations: BTreeMap<String, String>,
    ) -> Descriptor {
        Descriptor {
            media_type: media_type.to_string(),
            digest,
            size,
            annotations,
            platform: None,
            urls: Vec::new(),
        }
    }

    /// The digest, parsed; an [`Error::Oci`] when it is not `algorithm:hex`.
    pub fn parsed_digest(&self) -> Result<Digest> {
        Digest::parse(&self.digest).map_err(|e| Error::Oci(format!("descriptor: {e}")))
    }
}

/// An OS / architecture pair (and variant), as index entries and `--platform` name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Platform {
    /// The operating system (`linux`).
    #[serde(default)]
    pub os: String,
    /// The CPU architecture (`amd64`, `arm64`, …).
    #[serde(default)]
    pub architecture: String,
    /// The architecture variant (`v8`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch[/variant]`.
    pub fn parse(s: &str) -> Result<Platform> {
        let mut it = s.split('/');
        match (it.next(), it.next(), it.next(), it.next()) {
            (Some(os), Some(arch), variant, None) if !os.is_empty() && !arch.is_empty() => {
                Ok(Platform {
                    os: os.into(),
                    architecture: arch.into(),
                    variant: variant.filter(|v| !v.is_empty()).map(Into::into),
                })
            }
            _ => Err(Error::Oci(format!(
                "platform {s:?}: expected os/arch[/variant]"
            ))),
        }
    }
    /// Whether `self` satisfies `want`: same OS and architecture, and the same variant when `want` names one.
    pub fn matches(&self, want: &Platform) -> bool {
        self.os == want.os
            && self.architecture == want.architecture
            && (want.variant.is_none() || self.variant == want.variant)
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// An image manifest (OCI or Docker schema 2: same shape for what we read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// `schemaVersion` (2).
    #[serde(default)]
    pub schema_version: u32,
    /// `mediaType`, when the manifest states it.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The image config's descriptor.
    pub config: Descriptor,
    /// The layers' descriptors, base layer first.
    pub layers: Vec<Descriptor>,
    /// The manifest's annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// An image index / manifest list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// `schemaVersion` (2).
    #[serde(default)]
    pub schema_version: u32,
    /// `mediaType`, when the index states it.
    #[serde(default)]
    pub media_type: Option<String>,
    /// One descriptor per image (platform) or nested index.
    pub manifests: Vec<Descriptor>,
}

/// The image config: only the layer DiffIDs matter here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct ImageConfig {
    /// The layers' uncompressed digests.
    #[serde(default)]
    pub rootfs: RootFs,
    /// The image's operating system.
    #[serde(default)]
    pub os: String,
    /// The image's CPU architecture.
    #[serde(default)]
    pub architecture: String,
}

/// The config's `rootfs` object.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct RootFs {
    /// The DiffID (digest of the uncompressed tar) of every layer, in layer order.
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

/// A manifest document: either an index or a single image manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestDoc {
    /// An image index or Docker manifest list.
    Index(Index),
    /// A single image manifest.
    Image(Manifest),
}

/// The largest manifest, index or config we accept (registries cap manifests at 4 MiB).
pub const MAX_MANIFEST: u64 = 4 << 20;

impl ManifestDoc {
    /// Parses a manifest or index, using the served `Content-Type` when known and the
    /// document's own `mediaType`/shape otherwise.
    pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<ManifestDoc> {
        if bytes.len() as u64 > MAX_MANIFEST {
            return Err(Error::TooLarge {
                what: "manifest".into(),
                size: bytes.len() as u64,
                limit: MAX_MANIFEST,
            });
        }
        let v: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| Error::Oci(format!("manifest JSON: {e}")))?;
        let declared = content_type
            .map(|c| c.split(';').next().unwrap_or("").trim().to_string())
            .filter(|c| !c.is_empty() && c != "application/json" && c != "application/octet-stream")
            .or_else(|| {
                v.get("mediaType")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            });
        let is_index = match declared.as_deref() {
            Some(MT_OCI_INDEX) | Some(MT_DOCKER_LIST) => true,
            Some(MT_OCI_MANIFEST) | Some(MT_DOCKER_MANIFEST) => false,
            Some(other) => {
                return Err(Error::Oci(format!(
                    "unsupported manifest media type {other:?}"
                )))
            }
            None => v.get("manifests").is_some(),
        };
        let doc = if is_index {
            serde_json::from_value(v)
                .map(ManifestDoc::Index)
                .map_err(|e| Error::Oci(format!("image index: {e}")))?
        } else {
            serde_json::from_value(v)
                .map(ManifestDoc::Image)
                .map_err(|e| Error::Oci(format!("image manifest: {e}")))?
        };
        // Digests go into URLs and sizes into JavaScript numbers: check every descriptor now.
        let descriptors: Vec<&Descriptor> = match &doc {
            ManifestDoc::Index(i) => i.manifests.iter().collect(),
            ManifestDoc::Image(m) => std::iter::once(&m.config).chain(&m.layers).collect(),
        };
        for d in descriptors {
            d.validate()?;
        }
        Ok(doc)
    }
}

/// The largest blob size accepted: 2^53, the largest integer JavaScript numbers hold exactly
/// (8 PiB; no real layer comes near it).
pub const MAX_BLOB_SIZE: u64 = 1 << 53;

impl Descriptor {
    /// A descriptor is usable when its digest parses and its size is below [`MAX_BLOB_SIZE`].
    pub fn validate(&self) -> Result<()> {
        self.parsed_digest()?;
        if self.size > MAX_BLOB_SIZE {
            return Err(Error::TooLarge {
                what: format!("descriptor {} size", self.digest),
                size: self.size,
                limit: MAX_BLOB_SIZE,
            });
        }
        Ok(())
    }
}

impl Index {
    /// Picks the manifest for `want` (default linux/amd64; the only entry when there is one).
    pub fn select(&self, want: Option<&Platform>) -> Result<&Descriptor> {
        let default = Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        };
        let images: Vec<&Descriptor> = self
            .manifests
            .iter()
            .filter(|d| {
                matches!(
                    d.media_type.as_str(),
                    MT_OCI_MANIFEST | MT_DOCKER_MANIFEST | ""
                )
            })
            .collect();
        if want.is_none() && images.len() == 1 {
            return Ok(images[0]);
        }
        let target = want.unwrap_or(&default);
        images
            .iter()
            .copied()
            .find(|d| d.platform.as_ref().is_some_and(|p| p.matches(target)))
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "no manifest for platform {target} (available: {})",
                    self.platforms().join(", ")
                ))
            })
    }

    /// The platforms the index lists (`os/arch[/variant]`), in index order.
    pub fn platforms(&self) -> Vec<String> {
        self.manifests
            .iter()
            .filter_map(|d| d.platform.as_ref().map(|p| p.to_string()))
            .collect()
    }
}

/// What kind of layer a media type announces ([`LayerFormat::Zstd`], `Gzip`, `Tar` or
/// `Unknown`), from the media type alone.
pub fn compression_of(media_type: &str) -> LayerFormat {
    let mt = media_type.trim();
    if mt.ends_with("+zstd") || mt.ends_with(".zstd") {
        LayerFormat::Zstd
    } else if mt.ends_with("+gzip")
        || mt.ends_with(".gzip")
        || mt == "application/vnd.docker.image.rootfs.diff.tar.gzip"
    {
        LayerFormat::Gzip
    } else if mt.ends_with(".tar") || mt.ends_with("layer.v1.tar") {
        LayerFormat::Tar
    } else {
        LayerFormat::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_selection() {
        let idx = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","size":1,"platform":{"os":"linux","architecture":"amd64"}}]}"#;
        let ManifestDoc::Index(i) = ManifestDoc::parse(idx, None).unwrap() else {
            panic!()
        };
        assert_eq!(
            i.select(None).unwrap().digest,
            format!("sha256:{}", "b".repeat(64))
        );
        assert_eq!(
            i.select(Some(&Platform::parse("linux/arm64").unwrap()))
                .unwrap()
                .digest,
            format!("sha256:{}", "a".repeat(64))
        );
        let e = i
            .select(Some(&Platform::parse("linux/s390x").unwrap()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("linux/arm64/v8, linux/amd64"), "{e}");
        assert!(Platform::parse("linux").is_err());
        assert!(ManifestDoc::parse(b"{}", Some("text/html")).is_err());
        // Descriptors are checked: a digest that could escape a URL path, a size JS cannot hold.
        let bad = br#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:x/../../v2","size":1},"layers":[]}"#;
        assert!(ManifestDoc::parse(bad, None).is_err());
        let big = format!(
            r#"{{"config":{{"digest":"sha256:{}","size":9007199254740993}},"layers":[]}}"#,
            "a".repeat(64)
        );
        assert!(matches!(
            ManifestDoc::parse(big.as_bytes(), Some(MT_OCI_MANIFEST)),
            Err(Error::TooLarge { .. })
        ));
    }
}

/// The annotation that names an image in an OCI layout's `index.json` (its tag).
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// What an OCI image layout's `index.json` leads to for a tag (or for none).
#[derive(Debug, Clone, PartialEq)]
pub enum LayoutPick<'a> {
    /// The image manifest (or image index) this descriptor names.
    Manifest(&'a Descriptor),
    /// No tag, and every entry has a platform: `index.json` is itself the image index to choose
    /// a platform from.
    Index,
}

/// Picks the image of an OCI layout (`layout` names it in errors): the entry whose
/// `org.opencontainers.image.ref.name` is `tag`; without a tag, the only entry, or the whole
/// index when every entry names a platform; otherwise a `not-found` error that lists the tags.
///
/// ```
/// use chunkscope::oci::{pick_from_layout, Index, LayoutPick};
/// let index: Index = serde_json::from_str(r#"{"schemaVersion": 2, "manifests": [
///   {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 7,
///    "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
///    "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}"#).unwrap();
/// assert!(matches!(pick_from_layout(&index, Some("v1"), "dir"), Ok(LayoutPick::Manifest(_))));
/// assert!(pick_from_layout(&index, Some("v2"), "dir").is_err());
/// ```
pub fn pick_from_layout<'a>(
    index: &'a Index,
    tag: Option<&str>,
    layout: &str,
) -> crate::error::Result<LayoutPick<'a>> {
    use crate::error::Error;
    match tag {
        Some(tag) => index
            .manifests
            .iter()
            .find(|d| d.annotations.get(REF_NAME).map(String::as_str) == Some(tag))
            .map(LayoutPick::Manifest)
            .ok_or_else(|| Error::NotFound(format!("tag {tag:?} in {layout}"))),
        None if index.manifests.len() == 1 => Ok(LayoutPick::Manifest(&index.manifests[0])),
        None if !index.manifests.is_empty()
            && index.manifests.iter().all(|d| d.platform.is_some()) =>
        {
            Ok(LayoutPick::Index)
        }
        None => {
            let tags: Vec<&str> = index
                .manifests
                .iter()
                .filter_map(|d| d.annotations.get(REF_NAME))
                .map(String::as_str)
                .collect();
            Err(Error::NotFound(format!(
                "{layout} holds {} manifests: name one with a tag ({})",
                index.manifests.len(),
                tags.join(", ")
            )))
        }
    }
}
