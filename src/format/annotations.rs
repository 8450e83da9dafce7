//! The layer-descriptor annotations that announce zstd:chunked (and eStargz) metadata.
//!
//! The reference puller reads the TOC position only from these annotations (it never reads the
//! footer), so they decide whether a partial pull happens at all. Both namespaces exist in the
//! wild: `io.github.containers.zstd-chunked.*` (c/storage v1.44 and later) and the older
//! `io.containers.zstd-chunked.*`, which current pullers no longer recognise.

use crate::error::{Error, Result};
use crate::format::digest::Digest;
use std::collections::BTreeMap;

/// The current annotation namespace (c/storage v1.44 and later): what current pullers read.
pub const NS_CURRENT: &str = "io.github.containers.zstd-chunked.";
/// The older annotation namespace, which current pullers ignore.
pub const NS_LEGACY: &str = "io.containers.zstd-chunked.";
/// Key suffix: digest of the compressed TOC bytes.
pub const MANIFEST_CHECKSUM: &str = "manifest-checksum";
/// Key suffix: `offset:length:uncompressedLength:type` of the TOC.
pub const MANIFEST_POSITION: &str = "manifest-position";
/// Key suffix: `offset:length:uncompressedLength` of the tar-split.
pub const TARSPLIT_POSITION: &str = "tarsplit-position";
/// Key suffix: the deprecated, unauthenticated tar-split digest (c/storage v1.47 to v1.53).
pub const TARSPLIT_CHECKSUM: &str = "tarsplit-checksum";
/// eStargz: digest of the uncompressed TOC JSON (stargz-snapshotter's key).
pub const ESTARGZ_TOC_DIGEST: &str = "containerd.io/snapshot/stargz/toc.digest";
/// eStargz: the layer's uncompressed size, as containers/storage writes it.
pub const ESTARGZ_UNCOMPRESSED_SIZE: &str = "io.containers.estargz.uncompressed-size";

/// Where a compressed section (TOC or tar-split) sits in the blob. Offsets point at the zstd
/// frame's data, 8 bytes past its skippable-frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// Byte offset of the section's zstd frame data in the blob.
    pub offset: u64,
    /// Compressed length in bytes.
    pub length: u64,
    /// Length after decompression, in bytes (checked while decoding, never trusted for an allocation).
    pub uncompressed_length: u64,
}

impl Section {
    /// One past the section's last byte (saturating: a hostile offset cannot overflow).
    pub fn end(&self) -> u64 {
        self.offset.saturating_add(self.length)
    }
}

/// Which annotation namespace a layer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// `io.github.containers.zstd-chunked.*`, what current pullers read.
    Current,
    /// `io.containers.zstd-chunked.*`, ignored by current pullers.
    Legacy,
}

/// The zstd:chunked annotations of one layer, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkedAnnotations {
    /// Which namespace the keys were found under.
    pub namespace: Namespace,
    /// Digest of the compressed TOC bytes.
    pub toc_digest: Digest,
    /// Where the compressed TOC sits.
    pub toc: Section,
    /// The manifest type field; the only defined value is 1.
    pub toc_type: u64,
    /// Where the compressed tar-split sits, when announced.
    pub tar_split: Option<Section>,
    /// The deprecated, unauthenticated tar-split checksum (c/storage v1.47 to v1.53).
    pub tar_split_checksum: Option<String>,
}

/// What the annotations say about the layer's metadata format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerAnnotations {
    /// zstd:chunked annotations (either namespace).
    ZstdChunked(ChunkedAnnotations),
    /// eStargz: the digest of the *uncompressed* TOC JSON.
    Estargz {
        /// `containerd.io/snapshot/stargz/toc.digest`, as written (checked when the TOC is read).
        toc_digest: String,
        /// `io.containers.estargz.uncompressed-size`, as written.
        uncompressed_size: Option<String>,
    },
    /// No metadata annotation: a plain layer, or one whose metadata only its footer describes.
    None,
}

impl LayerAnnotations {
    /// Reads the annotations of one descriptor. Keys that are absent mean "not this format";
    /// keys that are present with a bad value are errors naming the key and value.
    pub fn parse(annotations: &BTreeMap<String, String>) -> Result<LayerAnnotations> {
        let chunked =
            ChunkedAnnotations::parse_namespace(annotations, NS_CURRENT, Namespace::Current)?
                .map(Ok)
                .or_else(|| {
                    ChunkedAnnotations::parse_namespace(annotations, NS_LEGACY, Namespace::Legacy)
                        .transpose()
                })
                .transpose()?;
        let estargz = annotations.get(ESTARGZ_TOC_DIGEST);
        match (chunked, estargz) {
            // stargz-snapshotter's zstdchunked writer: the reference puller reads only the
            // current keys, so to it this is an eStargz layer.
            (Some(c), Some(d)) if c.namespace == Namespace::Legacy => {
                Ok(LayerAnnotations::Estargz {
                    toc_digest: d.clone(),
                    uncompressed_size: annotations.get(ESTARGZ_UNCOMPRESSED_SIZE).cloned(),
                })
            }
            (Some(_), Some(_)) => Err(Error::Annotation {
                key: ESTARGZ_TOC_DIGEST.into(),
                value: estargz.cloned().unwrap_or_default(),
                reason: "both zstd:chunked and eStargz TOC found".into(),
            }),
            (Some(c), None) => Ok(LayerAnnotations::ZstdChunked(c)),
            (None, Some(d)) => Ok(LayerAnnotations::Estargz {
                toc_digest: d.clone(),
                uncompressed_size: annotations.get(ESTARGZ_UNCOMPRESSED_SIZE).cloned(),
            }),
            (None, None) => Ok(LayerAnnotations::None),
        }
    }
}

impl ChunkedAnnotations {
    /// The legacy `io.containers.zstd-chunked.*` annotations alone, if present (for layers that
    /// [`LayerAnnotations::parse`] reports as eStargz).
    pub fn legacy(a: &BTreeMap<String, String>) -> Result<Option<Self>> {
        Self::parse_namespace(a, NS_LEGACY, Namespace::Legacy)
    }

    fn parse_namespace(
        a: &BTreeMap<String, String>,
        ns: &str,
        namespace: Namespace,
    ) -> Result<Option<Self>> {
        let key = |k: &str| format!("{ns}{k}");
        let Some(checksum) = a.get(&key(MANIFEST_CHECKSUM)) else {
            return Ok(None);
        };
        let toc_digest = Digest::parse(checksum).map_err(|e| Error::Annotation {
            key: key(MANIFEST_CHECKSUM),
            value: checksum.clone(),
            reason: match e {
                Error::BadDigest { reason, .. } => reason,
                other => other.to_string(),
            },
        })?;
        let pos_key = key(MANIFEST_POSITION);
        let pos = a.get(&pos_key).ok_or_else(|| Error::Annotation {
            key: pos_key.clone(),
            value: String::new(),
            reason: format!("missing, but {} is present", key(MANIFEST_CHECKSUM)),
        })?;
        let [offset, length, uncompressed_length, toc_type] = parse_fields::<4>(&pos_key, pos)?;
        if toc_type != 1 {
            return Err(Error::Annotation {
                key: pos_key,
                value: pos.clone(),
                reason: format!("manifest type {toc_type} is not 1 (CRFS)"),
            });
        }
        let tar_split = match a.get(&key(TARSPLIT_POSITION)) {
            Some(v) => {
                let [offset, length, uncompressed_length] =
                    parse_fields::<3>(&key(TARSPLIT_POSITION), v)?;
                Some(Section {
                    offset,
                    length,
                    uncompressed_length,
                })
            }
            None => None,
        };
        Ok(Some(ChunkedAnnotations {
            namespace,
            toc_digest,
            toc: Section {
                offset,
                length,
                uncompressed_length,
            },
            toc_type,
            tar_split,
            tar_split_checksum: a.get(&key(TARSPLIT_CHECKSUM)).cloned(),
        }))
    }
}

/// Parses exactly `N` decimal u64 fields joined by `:`.
fn parse_fields<const N: usize>(key: &str, value: &str) -> Result<[u64; N]> {
    let err = |reason: String| Error::Annotation {
        key: key.to_string(),
        value: value.to_string(),
        reason,
    };
    let parts: Vec<&str> = value.split(':').collect();
    if parts.len() != N {
        return Err(err(format!(
            "expected {N} ':'-separated integers, found {}",
            parts.len()
        )));
    }
    let mut out = [0u64; N];
    for (slot, p) in out.iter_mut().zip(&parts) {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(format!("{p:?} is not a non-negative decimal integer")));
        }
        *slot = p
            .parse()
            .map_err(|_| err(format!("{p:?} is out of range")))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
    const D: &str = "sha256:2a29e3f3e5e30b7e26cabf30cd1798ef3a0fa5dae6e651f19adbcf88c68a50d5";

    #[test]
    fn current_namespace() {
        let a = map(&[
            ("io.github.containers.zstd-chunked.manifest-checksum", D),
            (
                "io.github.containers.zstd-chunked.manifest-position",
                "323422:3468:13946:1",
            ),
            (
                "io.github.containers.zstd-chunked.tarsplit-position",
                "326898:3418:77675",
            ),
        ]);
        let LayerAnnotations::ZstdChunked(c) = LayerAnnotations::parse(&a).unwrap() else {
            panic!()
        };
        assert_eq!(c.namespace, Namespace::Current);
        assert_eq!(
            c.toc,
            Section {
                offset: 323422,
                length: 3468,
                uncompressed_length: 13946
            }
        );
        assert_eq!(c.tar_split.unwrap().offset, 326898);
    }

    #[test]
    fn legacy_namespace() {
        let a = map(&[
            ("io.containers.zstd-chunked.manifest-checksum", D),
            ("io.containers.zstd-chunked.manifest-position", "1:2:3:1"),
        ]);
        let LayerAnnotations::ZstdChunked(c) = LayerAnnotations::parse(&a).unwrap() else {
            panic!()
        };
        assert_eq!(c.namespace, Namespace::Legacy);
        assert!(c.tar_split.is_none());
    }

    #[test]
    fn bad_values_name_the_key() {
        for (pos, why) in [
            ("1:2:3", "expected 4"),
            ("1:2:x:1", "not a non-negative"),
            ("1:2:3:2", "type 2"),
            ("1:-2:3:1", "not a non-negative"),
            ("1:2:99999999999999999999:1", "out of range"),
        ] {
            let a = map(&[
                ("io.github.containers.zstd-chunked.manifest-checksum", D),
                ("io.github.containers.zstd-chunked.manifest-position", pos),
            ]);
            let e = LayerAnnotations::parse(&a).unwrap_err();
            let Error::Annotation { key, value, reason } = &e else {
                panic!("{e}")
            };
            assert_eq!(key, "io.github.containers.zstd-chunked.manifest-position");
            assert_eq!(value, pos);
            assert!(reason.contains(why), "{reason}");
        }
        let a = map(&[(
            "io.github.containers.zstd-chunked.manifest-checksum",
            "sha256:nothex",
        )]);
        assert!(matches!(
            LayerAnnotations::parse(&a),
            Err(Error::Annotation { .. })
        ));
        let a = map(&[("io.github.containers.zstd-chunked.manifest-checksum", D)]);
        assert!(LayerAnnotations::parse(&a)
            .unwrap_err()
            .to_string()
            .contains("missing"));
    }

    #[test]
    fn estargz_and_conflict() {
        let a = map(&[(ESTARGZ_TOC_DIGEST, D)]);
        assert!(matches!(
            LayerAnnotations::parse(&a).unwrap(),
            LayerAnnotations::Estargz { .. }
        ));
        let a = map(&[
            (ESTARGZ_TOC_DIGEST, D),
            ("io.github.containers.zstd-chunked.manifest-checksum", D),
            (
                "io.github.containers.zstd-chunked.manifest-position",
                "1:2:3:1",
            ),
        ]);
        assert!(LayerAnnotations::parse(&a).is_err());
        assert_eq!(
            LayerAnnotations::parse(&BTreeMap::new()).unwrap(),
            LayerAnnotations::None
        );
    }
}
