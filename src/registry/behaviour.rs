//! How a registry answers byte ranges: the behaviour classes that decide what a partial pull
//! really costs on it.
//!
//! The reference puller (containers/image + containers/storage) sends one request with two
//! ranges for a layer's metadata and one request with up to 1024 ranges for its missing chunks.
//! What then happens depends only on how the server in front of the blob answers those
//! requests, and real registries fall into a handful of classes (public reports collected in
//! README's registry table). This module holds the class as a value, with its wire spelling
//! and the `CLASS[:STATUS][:CAP]` text form the CLI accepts; probing (`probe`) produces it and
//! the planner's prediction consumes it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The behaviour classes, by how the server answers single- and multi-range GETs of a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BehaviourClass {
    /// Multi-range → 206 `multipart/byteranges` (CNCF distribution, filesystem driver).
    Multipart,
    /// Multi-range → 200 with the whole blob (S3/minio behind a redirect, ECR).
    WholeBody,
    /// Multi-range → an error status for any count of ranges (400 GCS, 416 old zot, 501 GHCR).
    Rejected,
    /// Multi-range → multipart up to `cap` ranges, an error status above.
    RangeCap,
    /// Multi-range → a plain 206 holding only the first range (Ceph RGW).
    FirstRangeOnly,
    /// Even a single range → 200 with the whole blob.
    NoRange,
    /// The first ranged request for a blob → 200, later ones → 206 (distribution#4667).
    #[serde(rename = "first-200")]
    First200,
}

impl BehaviourClass {
    /// Every class, in documentation order.
    pub const ALL: [BehaviourClass; 7] = [
        BehaviourClass::Multipart,
        BehaviourClass::WholeBody,
        BehaviourClass::Rejected,
        BehaviourClass::RangeCap,
        BehaviourClass::FirstRangeOnly,
        BehaviourClass::NoRange,
        BehaviourClass::First200,
    ];

    /// The wire spelling (`whole-body`, `range-cap`, …), as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            BehaviourClass::Multipart => "multipart",
            BehaviourClass::WholeBody => "whole-body",
            BehaviourClass::Rejected => "rejected",
            BehaviourClass::RangeCap => "range-cap",
            BehaviourClass::FirstRangeOnly => "first-range-only",
            BehaviourClass::NoRange => "no-range",
            BehaviourClass::First200 => "first-200",
        }
    }
}

impl fmt::Display for BehaviourClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A registry's range behaviour: its class, the status it refuses multi-range requests with
/// (`rejected`, `range-cap`), and the largest range count it accepts (`range-cap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryBehaviour {
    /// The class.
    pub class: BehaviourClass,
    /// The refusal status, for `rejected` and `range-cap`.
    #[serde(default)]
    pub status: Option<u16>,
    /// The largest number of ranges answered with multipart, for `range-cap`.
    #[serde(default)]
    pub cap: Option<u32>,
}

impl RegistryBehaviour {
    /// A class with no status or cap.
    pub fn new(class: BehaviourClass) -> Self {
        RegistryBehaviour {
            class,
            status: None,
            cap: None,
        }
    }
}

/// Why a `CLASS[:STATUS][:CAP]` text is not a behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BehaviourParseError {
    /// The text given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for BehaviourParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "registry behaviour {:?}: {} (expected CLASS[:STATUS][:CAP], e.g. whole-body, rejected:400, range-cap:400:64; classes: {})",
            self.input,
            self.reason,
            BehaviourClass::ALL.map(BehaviourClass::as_str).join(", ")
        )
    }
}

impl std::error::Error for BehaviourParseError {}

impl FromStr for RegistryBehaviour {
    type Err = BehaviourParseError;

    /// Parses `multipart`, `whole-body`, `rejected:400`, `range-cap:416:16`, …
    ///
    /// ```
    /// use chunkscope::registry::behaviour::{BehaviourClass, RegistryBehaviour};
    /// let b: RegistryBehaviour = "range-cap:400:64".parse().unwrap();
    /// assert_eq!((b.class, b.status, b.cap), (BehaviourClass::RangeCap, Some(400), Some(64)));
    /// assert!("rejected".parse::<RegistryBehaviour>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| BehaviourParseError {
            input: s.to_string(),
            reason: reason.to_string(),
        };
        let mut parts = s.trim().split(':');
        let name = parts.next().unwrap_or_default();
        let class = BehaviourClass::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
            .ok_or_else(|| err("unknown class"))?;
        let status = match parts.next() {
            None => None,
            Some(t) => match t.parse::<u16>() {
                Ok(n) if (400..600).contains(&n) => Some(n),
                _ => return Err(err("STATUS must be an HTTP error status (400-599)")),
            },
        };
        let cap = match parts.next() {
            None => None,
            Some(t) => match t.parse::<u32>() {
                Ok(n) if n >= 1 => Some(n),
                _ => return Err(err("CAP must be a whole number of ranges, at least 1")),
            },
        };
        if parts.next().is_some() {
            return Err(err("too many ':' fields"));
        }
        match class {
            BehaviourClass::Rejected if status.is_none() || cap.is_some() => {
                Err(err("rejected takes a status and no cap (rejected:400)"))
            }
            BehaviourClass::RangeCap if status.is_none() || cap.is_none() => {
                Err(err("range-cap takes a status and a cap (range-cap:416:16)"))
            }
            BehaviourClass::Rejected | BehaviourClass::RangeCap => {
                Ok(RegistryBehaviour { class, status, cap })
            }
            _ if status.is_some() => Err(err("this class takes no status or cap")),
            _ => Ok(RegistryBehaviour::new(class)),
        }
    }
}

impl fmt::Display for RegistryBehaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.class.as_str())?;
        if let Some(s) = self.status {
            write!(f, ":{s}")?;
        }
        if let Some(c) = self.cap {
            write!(f, ":{c}")?;
        }
        Ok(())
    }
}

/// The body of the registry's error answers: whether containers/image parses it into a registry
/// error (and then retries a failed pull) or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorBody {
    /// A registry JSON error (`{"errors":[{"code":…}]}`): a 4xx with it is retried.
    Json,
    /// Anything else (HTML, XML, plain text, empty): never retried.
    #[default]
    Text,
}

impl ErrorBody {
    /// Both bodies.
    pub const ALL: [ErrorBody; 2] = [ErrorBody::Json, ErrorBody::Text];
}

/// What containers/image makes of an error answer's body (`parseHTTPErrorResponse`): a JSON
/// object with a non-empty `details` string, or with a non-empty `errors` list, is a registry
/// error; anything else is not.
pub fn error_body_of(body: &[u8]) -> ErrorBody {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return ErrorBody::Text;
    };
    let details = v
        .get("details")
        .and_then(|d| d.as_str())
        .is_some_and(|d| !d.is_empty());
    let errors = v
        .get("errors")
        .and_then(|e| e.as_array())
        .is_some_and(|e| !e.is_empty());
    if details || errors {
        ErrorBody::Json
    } else {
        ErrorBody::Text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips_for_every_class() {
        for text in [
            "multipart",
            "whole-body",
            "rejected:400",
            "rejected:501",
            "range-cap:400:64",
            "range-cap:416:16",
            "first-range-only",
            "no-range",
            "first-200",
        ] {
            let b: RegistryBehaviour = text.parse().unwrap();
            assert_eq!(b.to_string(), text);
        }
    }

    #[test]
    fn malformed_text_is_refused_with_a_reason() {
        for text in [
            "",
            "s3",
            "rejected",
            "rejected:200",
            "range-cap:400",
            "range-cap:400:0",
            "whole-body:400",
            "rejected:400:1:2",
        ] {
            let e = text.parse::<RegistryBehaviour>().unwrap_err();
            assert_eq!(e.input, text);
            assert!(!e.reason.is_empty());
        }
    }

    #[test]
    fn wire_names_are_kebab_case() {
        let names: Vec<String> = BehaviourClass::ALL
            .iter()
            .map(|c| {
                serde_json::to_value(c)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let direct: Vec<&str> = BehaviourClass::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names, direct);
        let b: RegistryBehaviour =
            serde_json::from_str(r#"{"class":"range-cap","status":416,"cap":16}"#).unwrap();
        assert_eq!(b.to_string(), "range-cap:416:16");
    }
}
