//! Turning a SOURCE argument into an image source.

use chunkscope::image::ImageSource;
use chunkscope::inspect::ByteRange;
use chunkscope::oci::Descriptor;
use chunkscope::registry::native::UreqTransport;
use chunkscope::registry::RequestRecord;
use chunkscope::registry::{Credentials, ImageRef, RegistryClient};
use chunkscope::source::layout::{BlobFile, OciLayout};
use chunkscope::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Any source the CLI can read.
pub enum AnySource {
    Layout(OciLayout),
    Blob(BlobFile),
    Registry(Box<RegistryClient<UreqTransport>>),
}

/// Options that apply to registry sources.
#[derive(Default, Clone)]
pub struct RegistryOptions {
    pub insecure: bool,
    pub credentials: Credentials,
}

impl RegistryOptions {
    /// Takes `--insecure`, `--token T`, `--user U:P` (the flags every command shares); `value`
    /// yields the flag's argument. False when `arg` is none of them.
    pub fn parse_flag(
        &mut self,
        arg: &str,
        value: &mut dyn FnMut(&str) -> Result<String>,
    ) -> Result<bool> {
        match arg {
            "--insecure" => self.insecure = true,
            "--token" => self.credentials.token = Some(value("--token")?),
            "--user" => {
                let v = value("--user")?;
                let (u, p) = v.split_once(':').ok_or_else(|| {
                    Error::Usage("--user needs USER:PASSWORD (see chunkscope --help)".into())
                })?;
                self.credentials.username = Some(u.to_string());
                self.credentials.password = Some(p.to_string());
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Opens `oci:DIR[:TAG]`, `file:BLOB` (with optional descriptor annotations) or
/// `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`.
pub fn open(
    spec: &str,
    annotations: &BTreeMap<String, String>,
    reg: &RegistryOptions,
) -> Result<AnySource> {
    if let Some(rest) = spec.strip_prefix("oci:") {
        let (dir, tag) = split_dir_tag(rest);
        Ok(AnySource::Layout(OciLayout::open(Path::new(dir), tag)?))
    } else if let Some(path) = spec.strip_prefix("file:") {
        Ok(AnySource::Blob(BlobFile::open(
            Path::new(path),
            chunkscope::oci::MT_LAYER_ZSTD,
            annotations.clone(),
        )?))
    } else if let Some(rest) = spec.strip_prefix("docker://") {
        let r = ImageRef::parse(rest, reg.insecure)?;
        Ok(AnySource::Registry(Box::new(RegistryClient::new(
            UreqTransport::new(),
            r,
            reg.credentials.clone(),
        ))))
    } else {
        Err(Error::Usage(format!(
            "source {spec:?}: expected oci:DIR[:TAG], file:BLOB or docker://HOST/REPO[:TAG]"
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

impl ImageSource for AnySource {
    async fn root_manifest(&mut self) -> Result<(Vec<u8>, Option<String>)> {
        match self {
            AnySource::Layout(s) => s.root_manifest().await,
            AnySource::Blob(s) => s.root_manifest().await,
            AnySource::Registry(s) => s.root_manifest().await,
        }
    }
    async fn fetch(&mut self, desc: &Descriptor, limit: u64) -> Result<Vec<u8>> {
        match self {
            AnySource::Layout(s) => s.fetch(desc, limit).await,
            AnySource::Blob(s) => s.fetch(desc, limit).await,
            AnySource::Registry(s) => s.fetch(desc, limit).await,
        }
    }
    async fn fetch_manifest(&mut self, desc: &Descriptor) -> Result<Vec<u8>> {
        match self {
            AnySource::Layout(s) => s.fetch_manifest(desc).await,
            AnySource::Blob(s) => s.fetch_manifest(desc).await,
            AnySource::Registry(s) => s.fetch_manifest(desc).await,
        }
    }
    async fn read_range(&mut self, desc: &Descriptor, range: ByteRange) -> Result<Vec<u8>> {
        match self {
            AnySource::Layout(s) => s.read_range(desc, range).await,
            AnySource::Blob(s) => s.read_range(desc, range).await,
            AnySource::Registry(s) => s.read_range(desc, range).await,
        }
    }
    fn request_log(&self) -> Vec<RequestRecord> {
        match self {
            AnySource::Registry(s) => s.request_log(),
            _ => Vec::new(),
        }
    }
}
