//! Turning a SOURCE argument into an [`ImageSource`].

use chunkscope::source::layout::{BlobFile, OciLayout};
use chunkscope::source::ImageSource;
use chunkscope::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

pub const LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// Opens `oci:DIR[:TAG]`, `file:BLOB` (with optional descriptor annotations) or
/// `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`.
pub fn open(spec: &str, annotations: &BTreeMap<String, String>) -> Result<Box<dyn ImageSource>> {
    if let Some(rest) = spec.strip_prefix("oci:") {
        let (dir, tag) = split_dir_tag(rest);
        Ok(Box::new(OciLayout::open(Path::new(dir), tag)?))
    } else if let Some(path) = spec.strip_prefix("file:") {
        Ok(Box::new(BlobFile::open(
            Path::new(path),
            LAYER_ZSTD,
            annotations.clone(),
        )?))
    } else {
        Err(Error::Unsupported(format!(
            "source {spec:?}: expected oci:DIR[:TAG] or file:BLOB"
        )))
    }
}

/// `DIR:TAG` → (DIR, TAG); without a tag the whole string is the directory.
fn split_dir_tag(s: &str) -> (&str, Option<&str>) {
    match s.rsplit_once(':') {
        Some((dir, tag)) if !tag.contains('/') && !tag.is_empty() => (dir, Some(tag)),
        _ => (s, None),
    }
}
