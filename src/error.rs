//! One error type for the whole crate.
//!
//! Every failure that untrusted input can cause has its own variant, so callers (the CLI, the
//! browser binding, tests) can tell a bad annotation from a digest mismatch without parsing
//! messages. Messages are one line and say what was wrong with which input.

use std::fmt;

/// What went wrong. Variants carry enough context to name the offending input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A layer-descriptor annotation was present but its value did not parse.
    Annotation {
        key: String,
        value: String,
        reason: String,
    },
    /// The blob's trailing bytes are not any known zstd:chunked footer.
    Footer(String),
    /// Fewer bytes than a structure needs.
    Truncated {
        what: &'static str,
        needed: u64,
        got: u64,
    },
    /// A digest string that is not `algorithm:hex`, or an algorithm we cannot check.
    BadDigest { value: String, reason: String },
    /// Bytes whose digest differs from the one that authenticates them.
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    /// A size (claimed by a server, an annotation or a footer, or produced by decompression)
    /// above the limit we accept.
    TooLarge { what: String, size: u64, limit: u64 },
    /// A claimed uncompressed length that the data did not match.
    LengthMismatch {
        what: String,
        expected: u64,
        actual: u64,
    },
    /// The zstd stream is corrupt.
    Zstd { what: String, message: String },
    /// A gzip stream (eStargz) is corrupt.
    Gzip { what: String, message: String },
    /// The blob's last bytes are not an eStargz footer.
    EstargzFooter { reason: String },
    /// The eStargz TOC member does not hold `stargz.index.json` as it should.
    EstargzToc { reason: String },
    /// The TOC JSON is malformed or violates the format.
    Toc(String),
    /// The tar-split stream is malformed.
    TarSplit(String),
    /// A position (offset/length) points outside the blob or overlaps something it must not.
    Layout(String),
    /// An OCI manifest, index, config or layout is malformed or not what was asked for.
    Oci(String),
    /// A caller asked for something that does not exist (tag, platform, layer, file).
    NotFound(String),
    /// What the user typed is malformed (a registry URL, an image reference, a platform).
    Input(String),
    /// The layer has no zstd:chunked metadata to read.
    Unsupported(String),
    /// Reading from a source (file, registry) failed.
    Io(String),
    /// A registry or server answered in a way we cannot use.
    Http {
        url: String,
        status: u16,
        message: String,
    },
    /// The server ignored the Range header and started sending the whole blob.
    RangeIgnored {
        url: String,
        status: u16,
        blob_size: Option<u64>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Annotation { key, value, reason } => {
                write!(f, "annotation {key}: cannot parse {value:?}: {reason}")
            }
            Error::Footer(m) => write!(f, "footer: {m}"),
            Error::Truncated { what, needed, got } => {
                write!(f, "{what}: truncated, need {needed} bytes, got {got}")
            }
            Error::BadDigest { value, reason } => write!(f, "digest {value:?}: {reason}"),
            Error::DigestMismatch {
                what,
                expected,
                actual,
            } => {
                write!(
                    f,
                    "{what}: digest mismatch: expected {expected}, got {actual}"
                )
            }
            Error::TooLarge { what, size, limit } => {
                write!(f, "{what}: {size} bytes is over the limit of {limit} bytes")
            }
            Error::LengthMismatch {
                what,
                expected,
                actual,
            } => {
                write!(f, "{what}: expected {expected} bytes, got {actual}")
            }
            Error::Zstd { what, message } => write!(f, "{what}: zstd: {message}"),
            Error::Gzip { what, message } => write!(f, "{what}: gzip: {message}"),
            Error::EstargzFooter { reason } => write!(f, "eStargz footer: {reason}"),
            Error::EstargzToc { reason } => write!(f, "eStargz TOC: {reason}"),
            Error::Toc(m) => write!(f, "TOC: {m}"),
            Error::TarSplit(m) => write!(f, "tar-split: {m}"),
            Error::Layout(m) => write!(f, "layout: {m}"),
            Error::Oci(m) => write!(f, "OCI: {m}"),
            Error::NotFound(m) => write!(f, "not found: {m}"),
            Error::Input(m) => f.write_str(m),
            Error::Unsupported(m) => write!(f, "unsupported: {m}"),
            Error::Io(m) => write!(f, "read failed: {m}"),
            Error::Http {
                url,
                status,
                message,
            } => write!(f, "{url}: HTTP {status}: {message}"),
            Error::RangeIgnored {
                url,
                status,
                blob_size,
            } => {
                write!(f, "{url}: the server ignored the Range header (HTTP {status}) and began sending the whole blob")?;
                if let Some(n) = blob_size {
                    write!(f, " ({n} bytes)")?;
                }
                write!(f, "; the transfer was cancelled")
            }
        }
    }
}

impl std::error::Error for Error {}
