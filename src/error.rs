//! One error type for the whole crate.
//!
//! Every failure that untrusted input can cause has its own variant, so callers (the CLI, the
//! browser binding, tests) can tell a bad annotation from a digest mismatch without parsing
//! messages. Messages are one line and say what was wrong with which input.
//!
//! Callers that only need to decide what to do next use [`Error::kind`]: a small closed
//! vocabulary ([`ErrorKind`]) in terms a caller can act on (fix the input, check the network,
//! authenticate, configure CORS, …). Serialized, an error is `{kind, message, …fields}` with the
//! structured fields (status, url, offset, limit, …) beside the message built from them, so the
//! JSON report, the JavaScript API and the web page switch on `kind`, never on message text.

use serde::ser::{Serialize, SerializeMap, Serializer};
use std::fmt;

/// What went wrong, in terms a caller can act on. The wire spelling is kebab-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// A value the user typed or passed is malformed (reference, registry URL, digest, option).
    Input,
    /// The command line was used wrongly (unknown flag, missing argument).
    Usage,
    /// The server could not be reached, or the connection broke.
    Network,
    /// The browser refused to let this page read the answer (the server is reachable but sends
    /// no usable CORS headers, or refused the preflight).
    Cors,
    /// The server answered with an HTTP status we cannot use.
    HttpStatus,
    /// The server wants credentials, or refused the ones given.
    Auth,
    /// The thing asked for does not exist (repository, tag, platform, blob, layer, file).
    NotFound,
    /// The server ignored the `Range` header and began sending the whole blob.
    RangeIgnored,
    /// Bytes that do not follow the format (footer, annotations, zstd, TOC, tar-split, OCI).
    Format,
    /// Bytes whose digest or length differs from the value that authenticates them.
    Verification,
    /// A size over a limit we accept.
    Limit,
    /// A layer or feature chunkscope cannot read.
    Unsupported,
    /// Reading a local file failed.
    Io,
    /// A bug or misuse of the API (a state machine fed out of order).
    Internal,
}

impl ErrorKind {
    /// The wire spelling (`http-status`, `range-ignored`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Input => "input",
            ErrorKind::Usage => "usage",
            ErrorKind::Network => "network",
            ErrorKind::Cors => "cors",
            ErrorKind::HttpStatus => "http-status",
            ErrorKind::Auth => "auth",
            ErrorKind::NotFound => "not-found",
            ErrorKind::RangeIgnored => "range-ignored",
            ErrorKind::Format => "format",
            ErrorKind::Verification => "verification",
            ErrorKind::Limit => "limit",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Io => "io",
            ErrorKind::Internal => "internal",
        }
    }

    /// Every kind, in documentation order.
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::Input,
        ErrorKind::Usage,
        ErrorKind::Network,
        ErrorKind::Cors,
        ErrorKind::HttpStatus,
        ErrorKind::Auth,
        ErrorKind::NotFound,
        ErrorKind::RangeIgnored,
        ErrorKind::Format,
        ErrorKind::Verification,
        ErrorKind::Limit,
        ErrorKind::Unsupported,
        ErrorKind::Io,
        ErrorKind::Internal,
    ];
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error code from the OCI distribution spec's JSON errors body
/// (`{"errors":[{"code":"NAME_UNKNOWN",…}]}`); the wire spelling is the spec's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RegistryCode {
    /// The blob is not in the repository.
    BlobUnknown,
    /// The manifest (tag or digest) is not in the repository.
    ManifestUnknown,
    /// The repository is not known to the registry.
    NameUnknown,
    /// The repository name is invalid.
    NameInvalid,
    /// The tag is invalid.
    TagInvalid,
    /// Authentication required.
    Unauthorized,
    /// Access to the resource was denied.
    Denied,
    /// The operation is not supported.
    Unsupported,
    /// Too many requests.
    Toomanyrequests,
}

impl RegistryCode {
    /// Every code, in documentation order.
    pub const ALL: [RegistryCode; 9] = [
        RegistryCode::BlobUnknown,
        RegistryCode::ManifestUnknown,
        RegistryCode::NameUnknown,
        RegistryCode::NameInvalid,
        RegistryCode::TagInvalid,
        RegistryCode::Unauthorized,
        RegistryCode::Denied,
        RegistryCode::Unsupported,
        RegistryCode::Toomanyrequests,
    ];

    /// The first known code of a registry's JSON errors body (at most 64 KiB is looked at);
    /// `None` for any other body.
    pub fn from_body(body: &[u8]) -> Option<RegistryCode> {
        #[derive(serde::Deserialize)]
        struct Body {
            errors: Vec<Item>,
        }
        #[derive(serde::Deserialize)]
        struct Item {
            code: serde_json::Value,
        }
        if body.len() > 64 << 10 {
            return None;
        }
        let b: Body = serde_json::from_slice(body).ok()?;
        b.errors
            .into_iter()
            .find_map(|i| serde_json::from_value::<RegistryCode>(i.code).ok())
    }
}

/// What went wrong. Variants carry enough context to name the offending input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A layer-descriptor annotation was present but its value did not parse.
    Annotation {
        /// The annotation key, with its namespace.
        key: String,
        /// The value as found (empty when the key is missing but required).
        value: String,
        /// Why the value was refused.
        reason: String,
    },
    /// The blob's trailing bytes are not any known zstd:chunked footer.
    Footer(String),
    /// Fewer bytes than a structure needs.
    Truncated {
        /// The structure that was cut short (`"footer"`, `"eStargz footer"`, …).
        what: &'static str,
        /// Bytes the structure needs.
        needed: u64,
        /// Bytes that were there.
        got: u64,
    },
    /// A digest string that is not `algorithm:hex`, or an algorithm we cannot check.
    BadDigest {
        /// The string as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Bytes whose digest differs from the one that authenticates them.
    DigestMismatch {
        /// What was checked (`"TOC"`, `"tar-split"`, a file name, …).
        what: String,
        /// The digest that authenticates the bytes (`algorithm:hex`).
        expected: String,
        /// The digest the bytes have (`algorithm:hex`).
        actual: String,
    },
    /// A size (claimed by a server, an annotation or a footer, or produced by decompression)
    /// above the limit we accept.
    TooLarge {
        /// What is too large (`"TOC"`, `"blob"`, `"manifest"`, …).
        what: String,
        /// The size claimed or reached, in bytes.
        size: u64,
        /// The largest size accepted, in bytes.
        limit: u64,
    },
    /// A claimed uncompressed length that the data did not match.
    LengthMismatch {
        /// What was measured (`"TOC"`, `"tar-split"`, …).
        what: String,
        /// The length that was claimed, in bytes.
        expected: u64,
        /// The length the data has, in bytes.
        actual: u64,
    },
    /// Decompression produced more than the declared length (decoding stopped there).
    Overlong {
        /// What was decompressed.
        what: String,
        /// The declared length.
        expected: u64,
    },
    /// The zstd stream is corrupt.
    Zstd {
        /// What was being decompressed.
        what: String,
        /// The decoder's error.
        message: String,
    },
    /// A gzip stream (eStargz) is corrupt.
    Gzip {
        /// What was being decompressed.
        what: String,
        /// The decoder's error.
        message: String,
    },
    /// The blob's last bytes are not an eStargz footer.
    EstargzFooter {
        /// What is wrong with it, in stargz-snapshotter's words where it has them.
        reason: String,
    },
    /// The eStargz TOC member does not hold `stargz.index.json` as it should.
    EstargzToc {
        /// What the member holds instead.
        reason: String,
    },
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
    /// An OCI image layout (a folder opened in the browser) lacks a file it needs: `oci-layout`
    /// or `index.json` (then it is no layout at all), or a blob the index or a manifest names.
    MissingInLayout {
        /// The path inside the layout (`index.json`, `blobs/sha256/<hex>`).
        path: String,
    },
    /// What the user typed is malformed (a registry URL, an image reference, a platform).
    Input(String),
    /// The layer has no zstd:chunked metadata to read.
    Unsupported(String),
    /// Reading a local source (file, OCI layout directory, browser `Blob`) failed.
    Io(String),
    /// A request got no answer: connection refused, DNS, TLS, time-out, a broken body.
    Network {
        /// The request's URL.
        url: String,
        /// What the network layer said.
        detail: String,
    },
    /// The server stopped sending: nothing arrived for `seconds` while waiting for `stage`
    /// (kind `network`).
    Timeout {
        /// The request's URL.
        url: String,
        /// Which part of the exchange stalled.
        stage: TimeoutStage,
        /// The stall limit that ran out.
        seconds: u64,
    },
    /// In a browser: the request failed before any answer, yet the server's origin is
    /// reachable, so it is CORS that stops this page (no `Access-Control-Allow-Origin`, or a
    /// refused preflight when `preflight` is true).
    Cors {
        /// The request's URL.
        url: String,
        /// Whether the request needed a preflight (it carried `Authorization`).
        preflight: bool,
    },
    /// The command line was used wrongly.
    Usage(String),
    /// A bug or API misuse: never caused by input.
    Internal(String),
    /// A registry or server answered in a way we cannot use.
    Http {
        /// The request's URL (after redirects when they were followed).
        url: String,
        /// The HTTP status of the answer.
        status: u16,
        /// What the answer means for the caller (built from the status and the request's purpose).
        message: String,
        /// The first code of the registry's JSON errors body (`{"errors":[{"code":…}]}`), when
        /// it sent one that distribution defines: tells a missing repository (`NAME_UNKNOWN`)
        /// from a missing tag (`MANIFEST_UNKNOWN`).
        code: Option<RegistryCode>,
    },
    /// The server ignored the Range header and started sending the whole blob.
    RangeIgnored {
        /// The request's URL.
        url: String,
        /// The status of the answer (usually 200).
        status: u16,
        /// The blob's full size when the answer told it (`Content-Length` of a 200).
        blob_size: Option<u64>,
    },
}

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a request stalled (wire spelling kebab-case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeoutStage {
    /// Opening the connection.
    Connect,
    /// Waiting for the status line and headers.
    Headers,
    /// Reading the body.
    Body,
}

impl TimeoutStage {
    /// Every stage, in order.
    pub const ALL: [TimeoutStage; 3] = [
        TimeoutStage::Connect,
        TimeoutStage::Headers,
        TimeoutStage::Body,
    ];

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeoutStage::Connect => "connect",
            TimeoutStage::Headers => "headers",
            TimeoutStage::Body => "body",
        }
    }
}

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
            Error::Overlong { what, expected } => write!(
                f,
                "{what}: expected {expected} bytes, but the data decompresses to more (decoding stopped there)"
            ),
            Error::Zstd { what, message } => write!(f, "{what}: zstd: {message}"),
            Error::Gzip { what, message } => write!(f, "{what}: gzip: {message}"),
            Error::EstargzFooter { reason } => write!(f, "eStargz footer: {reason}"),
            Error::EstargzToc { reason } => write!(f, "eStargz TOC: {reason}"),
            Error::Toc(m) => write!(f, "TOC: {m}"),
            Error::TarSplit(m) => write!(f, "tar-split: {m}"),
            Error::Layout(m) => write!(f, "layout: {m}"),
            Error::Oci(m) => write!(f, "OCI: {m}"),
            Error::NotFound(m) => write!(f, "not found: {m}"),
            Error::MissingInLayout { path } if path == "oci-layout" || path == "index.json" => {
                write!(f, "not an OCI image layout: the folder has no {path} file (choose the folder that holds oci-layout, index.json and blobs/)")
            }
            Error::MissingInLayout { path } => write!(
                f,
                "not found: the OCI layout has no {path}, which its index or a manifest names"
            ),
            Error::Input(m) => f.write_str(m),
            Error::Unsupported(m) => write!(f, "unsupported: {m}"),
            Error::Io(m) => write!(f, "read failed: {m}"),
            Error::Network { url, detail } => {
                write!(f, "{url}: no answer: {detail}")
            }
            Error::Timeout {
                url,
                stage,
                seconds,
            } => {
                let during = match stage {
                    TimeoutStage::Connect => "to connect",
                    TimeoutStage::Headers => "for the answer's headers",
                    TimeoutStage::Body => "for more of the body",
                };
                write!(f, "{url}: the server stalled: waited {seconds} s {during}")
            }
            Error::Cors { url, preflight: true } => write!(
                f,
                "{url}: the request carried an Authorization header, so the browser first sent a CORS preflight (OPTIONS, without credentials), and the server did not allow it: a registry with authentication (CNCF distribution answers preflights with 401) cannot be read with credentials from another origin. Serve this inspector from the registry's own origin (same-origin requests need no preflight), or put a proxy in front that answers OPTIONS with 2xx and Access-Control-Allow-Headers: Authorization"
            ),
            Error::Cors { url, preflight: false } => write!(
                f,
                "{url}: the registry is reachable but does not let this page read its answers (CORS): it must send Access-Control-Allow-Origin (e.g. *), allow the request headers Accept, Range and Authorization, and expose Content-Range, Docker-Content-Digest and WWW-Authenticate"
            ),
            Error::Usage(m) => f.write_str(m),
            Error::Internal(m) => write!(f, "internal error: {m}"),
            Error::Http {
                url,
                status,
                message,
                ..
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

impl Error {
    /// What kind of failure this is: what a caller switches on.
    ///
    /// ```
    /// use chunkscope::{Error, ErrorKind};
    /// let e = Error::Http { url: "https://r.example/v2/".into(), status: 401, message: "unauthorized".into(), code: None };
    /// assert_eq!(e.kind(), ErrorKind::Auth);
    /// assert_eq!(Error::TooLarge { what: "TOC".into(), size: 2, limit: 1 }.kind(), ErrorKind::Limit);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Annotation { .. }
            | Error::Footer(_)
            | Error::Truncated { .. }
            | Error::Zstd { .. }
            | Error::Gzip { .. }
            | Error::EstargzFooter { .. }
            | Error::EstargzToc { .. }
            | Error::Toc(_)
            | Error::TarSplit(_)
            | Error::Layout(_)
            | Error::Oci(_) => ErrorKind::Format,
            Error::BadDigest { .. } | Error::Input(_) => ErrorKind::Input,
            Error::DigestMismatch { .. }
            | Error::LengthMismatch { .. }
            | Error::Overlong { .. } => ErrorKind::Verification,
            Error::TooLarge { .. } => ErrorKind::Limit,
            Error::NotFound(_) | Error::MissingInLayout { .. } => ErrorKind::NotFound,
            Error::Unsupported(_) => ErrorKind::Unsupported,
            Error::Io(_) => ErrorKind::Io,
            Error::Network { .. } | Error::Timeout { .. } => ErrorKind::Network,
            Error::Cors { .. } => ErrorKind::Cors,
            Error::Usage(_) => ErrorKind::Usage,
            Error::Internal(_) => ErrorKind::Internal,
            Error::Http { status, .. } => match status {
                401 | 403 => ErrorKind::Auth,
                404 => ErrorKind::NotFound,
                _ => ErrorKind::HttpStatus,
            },
            Error::RangeIgnored { .. } => ErrorKind::RangeIgnored,
        }
    }

    /// The HTTP status the error is about, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Http { status, .. } | Error::RangeIgnored { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The URL the error is about, if any.
    pub fn url(&self) -> Option<&str> {
        match self {
            Error::Http { url, .. }
            | Error::RangeIgnored { url, .. }
            | Error::Network { url, .. }
            | Error::Timeout { url, .. }
            | Error::Cors { url, .. } => Some(url),
            _ => None,
        }
    }
}

fn what_expected_actual<M: SerializeMap, T: Serialize + ?Sized>(
    m: &mut M,
    what: &str,
    expected: &T,
    actual: &T,
) -> Result<(), M::Error> {
    m.serialize_entry("what", what)?;
    m.serialize_entry("expected", expected)?;
    m.serialize_entry("actual", actual)
}

/// `{kind, message, …fields}`: the kind and the one-line message, then whichever structured
/// fields the variant carries (`status`, `url`, `what`, `size`, `limit`, `expected`, `actual`,
/// `needed`, `got`, `key`, `value`, `blobSize`, `preflight`).
impl Serialize for Error {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", &self.kind())?;
        m.serialize_entry("message", &self.to_string())?;
        if let Some(st) = self.status() {
            m.serialize_entry("status", &st)?;
        }
        if let Some(u) = self.url() {
            m.serialize_entry("url", u)?;
        }
        match self {
            Error::Annotation { key, value, .. } => {
                m.serialize_entry("key", key)?;
                m.serialize_entry("value", value)?;
            }
            Error::Truncated { what, needed, got } => {
                m.serialize_entry("what", what)?;
                m.serialize_entry("needed", needed)?;
                m.serialize_entry("got", got)?;
            }
            Error::BadDigest { value, .. } => m.serialize_entry("value", value)?,
            Error::DigestMismatch {
                what,
                expected,
                actual,
            } => what_expected_actual(&mut m, what, expected, actual)?,
            Error::LengthMismatch {
                what,
                expected,
                actual,
            } => what_expected_actual(&mut m, what, expected, actual)?,
            Error::TooLarge { what, size, limit } => {
                m.serialize_entry("what", what)?;
                m.serialize_entry("size", size)?;
                m.serialize_entry("limit", limit)?;
            }
            Error::Overlong { what, expected } => {
                m.serialize_entry("what", what)?;
                m.serialize_entry("expected", expected)?;
            }
            Error::Zstd { what, .. } | Error::Gzip { what, .. } => {
                m.serialize_entry("what", what)?
            }
            Error::RangeIgnored {
                blob_size: Some(n), ..
            } => m.serialize_entry("blobSize", n)?,
            Error::Cors { preflight, .. } => m.serialize_entry("preflight", preflight)?,
            Error::MissingInLayout { path } => m.serialize_entry("path", path)?,
            Error::Timeout { stage, seconds, .. } => {
                m.serialize_entry("stage", stage)?;
                m.serialize_entry("seconds", seconds)?;
            }
            Error::Http {
                code: Some(code), ..
            } => m.serialize_entry("registryCode", code)?,
            _ => {}
        }
        m.end()
    }
}
