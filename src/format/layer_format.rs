//! What kind of layer a blob is: the report's `format`, one enum from the media type's first
//! guess (`oci::compression_of`, from the media type) to the inspection's final answer.
//!
//! It lives beside the parsers rather than in the report so that the OCI descriptor code can
//! name it without depending on the inspection.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The layer's format (wire spelling as in the `--json` report and `types.d.ts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum LayerFormat {
    /// zstd:chunked with the current annotations and a tar-split (or a current footer).
    #[serde(rename = "zstd:chunked")]
    ZstdChunked,
    /// zstd:chunked in an older layout: legacy annotations, or no tar-split, or an old footer.
    #[serde(rename = "zstd:chunked-legacy")]
    ZstdChunkedLegacy,
    /// eStargz (gzip members, the eStargz footer).
    #[serde(rename = "estargz")]
    Estargz,
    /// stargz-snapshotter's `zstdchunked` compressor (eStargz TOC in zstd frames).
    #[serde(rename = "stargz-zstdchunked")]
    StargzZstdchunked,
    /// A plain zstd layer.
    #[serde(rename = "zstd")]
    Zstd,
    /// A plain gzip layer.
    #[serde(rename = "gzip")]
    Gzip,
    /// An uncompressed tar layer.
    #[serde(rename = "tar")]
    Tar,
    /// A media type chunkscope does not recognise.
    #[default]
    #[serde(rename = "unknown")]
    Unknown,
}

impl LayerFormat {
    /// Every format, in documentation order.
    pub const ALL: [LayerFormat; 8] = [
        LayerFormat::ZstdChunked,
        LayerFormat::ZstdChunkedLegacy,
        LayerFormat::Estargz,
        LayerFormat::StargzZstdchunked,
        LayerFormat::Zstd,
        LayerFormat::Gzip,
        LayerFormat::Tar,
        LayerFormat::Unknown,
    ];

    /// The format's name for people (the CLI prints it); switch on the variant, never on this.
    pub fn describe(self) -> &'static str {
        match self {
            LayerFormat::ZstdChunked => "zstd:chunked",
            LayerFormat::ZstdChunkedLegacy => "zstd:chunked-legacy",
            LayerFormat::Estargz => "estargz",
            LayerFormat::StargzZstdchunked => "stargz-zstdchunked",
            LayerFormat::Zstd => "zstd",
            LayerFormat::Gzip => "gzip",
            LayerFormat::Tar => "tar",
            LayerFormat::Unknown => "unknown",
        }
    }

    /// Whether file payloads are gzip members or frames that run to the next payload
    /// (eStargz and stargz-snapshotter's layout) rather than exact zstd frames.
    pub fn is_estargz_family(self) -> bool {
        matches!(self, LayerFormat::Estargz | LayerFormat::StargzZstdchunked)
    }
}

impl fmt::Display for LayerFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}
