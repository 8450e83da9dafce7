//! OCI image layout directories (`oci:DIR[:TAG]`) and single blob files (`file:BLOB`).

use super::ImageSource;
use crate::error::{Error, Result};
use crate::inspect::ByteRange;
use crate::oci::{pick_from_layout, Descriptor, Index, LayoutPick, MT_OCI_INDEX};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// An OCI image layout on disk.
pub struct OciLayout {
    dir: PathBuf,
    tag: Option<String>,
}

impl OciLayout {
    /// Opens the layout in `dir`; `tag` picks a manifest by its `org.opencontainers.image.ref.name` (else the only one). Fails when `dir` has no `oci-layout` file.
    pub fn open(dir: &Path, tag: Option<&str>) -> Result<OciLayout> {
        if !dir.join("oci-layout").is_file() {
            return Err(Error::NotFound(format!(
                "{}: not an OCI image layout (no oci-layout file)",
                dir.display()
            )));
        }
        Ok(OciLayout {
            dir: dir.to_path_buf(),
            tag: tag.map(str::to_string),
        })
    }

    fn blob_path(&self, digest: &str) -> Result<PathBuf> {
        let (alg, hex) = digest
            .split_once(':')
            .ok_or_else(|| Error::Oci(format!("bad digest {digest:?}")))?;
        if !alg.bytes().all(|b| b.is_ascii_alphanumeric())
            || !hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(Error::Oci(format!("bad digest {digest:?}")));
        }
        Ok(self.dir.join("blobs").join(alg).join(hex))
    }
}

impl ImageSource for OciLayout {
    async fn root_manifest(&mut self) -> Result<(Vec<u8>, Option<String>)> {
        let index_bytes = read_capped(&self.dir.join("index.json"), crate::oci::MAX_MANIFEST)?;
        let index: Index = serde_json::from_slice(&index_bytes)
            .map_err(|e| Error::Oci(format!("index.json: {e}")))?;
        let d =
            match pick_from_layout(&index, self.tag.as_deref(), &self.dir.display().to_string())? {
                LayoutPick::Manifest(d) => d.clone(),
                // index.json itself is an image index of platform images: choose among them
                LayoutPick::Index => return Ok((index_bytes, Some(MT_OCI_INDEX.into()))),
            };
        let bytes = read_capped(&self.blob_path(&d.digest)?, crate::oci::MAX_MANIFEST)?;
        d.parsed_digest()?.verify("manifest", &bytes)?;
        Ok((bytes, Some(d.media_type).filter(|m| !m.is_empty())))
    }

    async fn fetch(&mut self, desc: &Descriptor, limit: u64) -> Result<Vec<u8>> {
        read_capped(&self.blob_path(&desc.digest)?, limit)
    }

    async fn read_range(&mut self, desc: &Descriptor, range: ByteRange) -> Result<Vec<u8>> {
        read_range(&self.blob_path(&desc.digest)?, range)
    }
}

/// One layer blob on disk, presented as a one-layer image whose descriptor is made up from the
/// file's size and the annotations the user supplied (the digest is computed on open).
pub struct BlobFile {
    /// The blob file.
    pub path: PathBuf,
    /// The descriptor made up for it.
    pub descriptor: Descriptor,
}

const EMPTY_CONFIG: &[u8] = b"{}";

impl BlobFile {
    /// Opens the blob at `path` and hashes it (one pass, 64 KiB at a time) for its descriptor.
    pub fn open(
        path: &Path,
        media_type: &str,
        annotations: std::collections::BTreeMap<String, String>,
    ) -> Result<BlobFile> {
        let io = |e: std::io::Error| Error::Io(format!("{}: {e}", path.display()));
        let mut f = File::open(path).map_err(io)?;
        let mut hasher =
            crate::format::digest::Hasher::for_digest(&crate::format::digest::Digest::sha256(b""));
        let mut buf = vec![0u8; 1 << 16];
        let mut size = 0u64;
        loop {
            let n = f.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
        }
        Ok(BlobFile {
            path: path.to_path_buf(),
            descriptor: Descriptor::new(media_type, hasher.finish().to_string(), size, annotations),
        })
    }
}

impl ImageSource for BlobFile {
    async fn root_manifest(&mut self) -> Result<(Vec<u8>, Option<String>)> {
        let m = crate::oci::Manifest {
            schema_version: 2,
            media_type: Some(crate::oci::MT_OCI_MANIFEST.into()),
            config: Descriptor::new(
                "application/vnd.oci.image.config.v1+json",
                crate::format::digest::Digest::sha256(EMPTY_CONFIG).to_string(),
                EMPTY_CONFIG.len() as u64,
                Default::default(),
            ),
            layers: vec![self.descriptor.clone()],
            annotations: Default::default(),
        };
        Ok((
            serde_json::to_vec(&m).map_err(|e| Error::Internal(format!("descriptor JSON: {e}")))?,
            Some(crate::oci::MT_OCI_MANIFEST.into()),
        ))
    }

    async fn fetch(&mut self, desc: &Descriptor, _limit: u64) -> Result<Vec<u8>> {
        if desc.digest == crate::format::digest::Digest::sha256(EMPTY_CONFIG).to_string() {
            Ok(EMPTY_CONFIG.to_vec())
        } else {
            Err(Error::NotFound(format!(
                "{} in a single-blob source",
                desc.digest
            )))
        }
    }

    async fn read_range(&mut self, _desc: &Descriptor, range: ByteRange) -> Result<Vec<u8>> {
        read_range(&self.path, range)
    }
}

fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let f = File::open(path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
    let mut v = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut v)
        .map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
    if v.len() as u64 > limit {
        return Err(Error::TooLarge {
            what: path.display().to_string(),
            size: v.len() as u64,
            limit,
        });
    }
    Ok(v)
}

/// Reads exactly `range` from a file.
pub fn read_range(path: &Path, range: ByteRange) -> Result<Vec<u8>> {
    let io = |e: std::io::Error| Error::Io(format!("{}: {e}", path.display()));
    let mut f = File::open(path).map_err(io)?;
    f.seek(SeekFrom::Start(range.offset)).map_err(io)?;
    let mut v = Vec::new();
    (&mut f)
        .take(range.length)
        .read_to_end(&mut v)
        .map_err(io)?;
    if v.len() as u64 != range.length {
        return Err(Error::Truncated {
            what: "blob file",
            needed: range.length,
            got: v.len() as u64,
        });
    }
    Ok(v)
}
