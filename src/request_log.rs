//! What a source counts: every request it sends, why, and what came back (the registry client
//! fills it; image reports carry it).
//!
//! The log is the product's evidence: "bytes are the currency", so every request (a token fetch
//! or a cancelled 200 included) is one record, and reports sum them rather than estimate.

use serde::Serialize;
use std::fmt;

/// Why a request was made. The wire spelling is kebab-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestPurpose {
    /// `GET /v2/`: is this a registry, does it want credentials.
    Ping,
    /// A token from the registry's realm.
    Token,
    /// An image manifest or index.
    Manifest,
    /// The image config.
    Config,
    /// A layer's metadata range (footer, TOC, tar-split).
    Metadata,
    /// A range probe request (`probeRange`, `chunkscope probe`).
    Probe,
    /// A page of the tag list.
    Tags,
    /// One file's payload (`readFile`).
    File,
}

impl RequestPurpose {
    /// Every purpose, in documentation order.
    pub const ALL: [RequestPurpose; 8] = [
        RequestPurpose::Ping,
        RequestPurpose::Token,
        RequestPurpose::Manifest,
        RequestPurpose::Config,
        RequestPurpose::Metadata,
        RequestPurpose::Probe,
        RequestPurpose::Tags,
        RequestPurpose::File,
    ];

    /// The wire spelling (also the progress phase a request reports).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestPurpose::Ping => "ping",
            RequestPurpose::Token => "token",
            RequestPurpose::Manifest => "manifest",
            RequestPurpose::Config => "config",
            RequestPurpose::Metadata => "metadata",
            RequestPurpose::Probe => "probe",
            RequestPurpose::Tags => "tags",
            RequestPurpose::File => "file",
        }
    }
}

impl fmt::Display for RequestPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step an image inspection reports to a progress callback: the wire spelling of a progress
/// event's `phase` (kebab-case, as `RequestPurpose`'s for a request of that purpose).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProgressPhase {
    /// The manifest (or index) is next.
    Manifest,
    /// The config is next.
    Config,
    /// Layer `layer` is next.
    Layer,
    /// A request for a layer's metadata was answered.
    Metadata,
    /// A token request was answered.
    Token,
    /// `GET /v2/` was answered.
    Ping,
    /// A range-probe request was answered.
    Probe,
    /// A page of the tag list was answered.
    Tags,
    /// A file payload request was answered.
    File,
    /// Part of a long answer arrived (the browser transport, every 256 KiB).
    Body,
    /// Layer `layer` was inspected (the event carries its TOC entry count).
    LayerDone,
    /// The image walk is over.
    Done,
}

impl ProgressPhase {
    /// Every phase, in documentation order.
    pub const ALL: [ProgressPhase; 12] = [
        ProgressPhase::Manifest,
        ProgressPhase::Config,
        ProgressPhase::Layer,
        ProgressPhase::Metadata,
        ProgressPhase::Token,
        ProgressPhase::Ping,
        ProgressPhase::Probe,
        ProgressPhase::Tags,
        ProgressPhase::File,
        ProgressPhase::Body,
        ProgressPhase::LayerDone,
        ProgressPhase::Done,
    ];
}

impl From<RequestPurpose> for ProgressPhase {
    /// The phase a request of this purpose reports once answered.
    fn from(p: RequestPurpose) -> ProgressPhase {
        match p {
            RequestPurpose::Ping => ProgressPhase::Ping,
            RequestPurpose::Token => ProgressPhase::Token,
            RequestPurpose::Manifest => ProgressPhase::Manifest,
            RequestPurpose::Config => ProgressPhase::Config,
            RequestPurpose::Metadata => ProgressPhase::Metadata,
            RequestPurpose::Probe => ProgressPhase::Probe,
            RequestPurpose::Tags => ProgressPhase::Tags,
            RequestPurpose::File => ProgressPhase::File,
        }
    }
}

/// One HTTP request, as counted by a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// The URL asked for.
    pub url: String,
    /// The `Range` header sent, if any.
    pub range: Option<String>,
    /// The status received (0 when no answer came).
    pub status: u16,
    /// Body bytes received.
    pub bytes: u64,
    /// Why the request was made.
    pub purpose: RequestPurpose,
    /// Set when the body was cancelled (a 200 to a ranged request).
    pub aborted: bool,
}
