//! Judging a server's answer to a ranged GET, from the status line and headers alone.
//!
//! Called by every transport the moment the response head arrives, before any body byte is
//! read: a 200 to a ranged request means the server ignored `Range` and is about to send the
//! whole blob, so the transport must cancel the body at once. A 206 is accepted when its
//! `Content-Range` (if the registry exposes it to the browser) or else its `Content-Length`
//! matches what was asked; the content itself is trusted only through digests later.

use crate::error::{Error, RegistryCode, Result};
use crate::range::ByteRange;

/// What the head of a ranged response says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeVerdict {
    /// 206 with the range asked for: read the body.
    Partial,
    /// 200: the server ignored Range. Cancel the body.
    Ignored,
    /// Any other status (401, 404, 416, 5xx, a redirect the client did not follow): not an
    /// answer to the range; the caller decides (authenticate, or report the status).
    Other,
}

/// Parses `bytes A-B/TOTAL` (TOTAL may be `*`) into (A, B inclusive, TOTAL).
pub fn parse_content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (span, total) = rest.split_once('/')?;
    let (a, b) = span.split_once('-')?;
    let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    if b < a {
        return None;
    }
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((a, b, total))
}

/// Judges the head of a response to `Range: bytes=range`.
pub fn judge(
    url: &str,
    range: ByteRange,
    status: u16,
    content_range: Option<&str>,
    content_length: Option<u64>,
) -> Result<RangeVerdict> {
    match status {
        206 => {
            if let Some(cr) = content_range {
                let (a, b, _) = parse_content_range(cr).ok_or_else(|| Error::Http {
                    url: url.to_string(),
                    status,
                    message: format!("unparseable Content-Range {cr:?}"),
                    code: None,
                })?;
                if a != range.offset || b.checked_add(1) != Some(range.end()) {
                    return Err(Error::Http {
                        url: url.to_string(),
                        status,
                        message: format!(
                            "asked for {}, got Content-Range {cr:?}",
                            range.header_value()
                        ),
                        code: None,
                    });
                }
            } else if let Some(len) = content_length {
                if len != range.length {
                    return Err(Error::Http {
                        url: url.to_string(),
                        status,
                        message: format!(
                            "asked for {} bytes, Content-Length says {len}",
                            range.length
                        ),
                        code: None,
                    });
                }
            }
            Ok(RangeVerdict::Partial)
        }
        200 => Ok(RangeVerdict::Ignored),
        _ => Ok(RangeVerdict::Other),
    }
}

/// A plain-words error for an unexpected status.
pub fn status_error(url: &str, status: u16) -> Error {
    let message = match status {
        401 => "authentication required: supply a token or credentials (and, in a browser, the registry must expose WWW-Authenticate or you must set the token realm)",
        403 => "access denied for these credentials",
        404 => "not found: check the repository name and the tag or digest",
        429 => "rate limited by the registry: wait and retry",
        400 => "the registry rejected the request",
        s if s >= 500 => "the registry failed (server error): retry later",
        _ => "unexpected answer",
    };
    Error::Http {
        url: url.to_string(),
        status,
        message: message.to_string(),
        code: None,
    }
}

/// [`status_error`] with the registry's JSON errors body read: its distribution code
/// (`registryCode`) and, for a 404, a message that says whether the repository or the tag or
/// digest is missing.
pub fn registry_error(
    url: &str,
    status: u16,
    body: &[u8],
    repository: &str,
    reference: &str,
) -> Error {
    let code = RegistryCode::from_body(body);
    let message = match (status, code) {
        (404, Some(RegistryCode::NameUnknown)) => {
            format!("not found: repository {repository} does not exist on this registry (NAME_UNKNOWN)")
        }
        (404, Some(RegistryCode::ManifestUnknown)) => format!(
            "not found: repository {repository} has no manifest {reference} (MANIFEST_UNKNOWN): check the tag or digest"
        ),
        _ => match status_error(url, status) {
            Error::Http { message, .. } => message,
            e => e.to_string(),
        },
    };
    Error::Http {
        url: url.to_string(),
        status,
        message,
        code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const R: ByteRange = ByteRange {
        offset: 100,
        length: 64,
    };

    #[test]
    fn registry_codes_tell_repository_from_tag() {
        let name = br#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry","detail":{"name":"nope"}}]}"#;
        let e = registry_error("u", 404, name, "nope", "latest");
        assert_eq!(e.kind(), crate::ErrorKind::NotFound);
        assert!(matches!(
            e,
            Error::Http {
                code: Some(RegistryCode::NameUnknown),
                ..
            }
        ));
        let j = serde_json::to_value(&e).unwrap();
        assert_eq!(j["registryCode"], "NAME_UNKNOWN");
        assert_eq!(j["status"], 404);
        let tag = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"v9"}}]}"#;
        let e = registry_error("u", 404, tag, "pair-b", "v9");
        assert!(matches!(
            e,
            Error::Http {
                code: Some(RegistryCode::ManifestUnknown),
                ..
            }
        ));
        assert!(e
            .to_string()
            .contains("repository pair-b has no manifest v9"));
        // an unknown code, HTML, or an oversized body: no code, the plain message
        for body in [
            &br#"{"errors":[{"code":"SOMETHING_ELSE"}]}"#[..],
            b"<html>404</html>",
            &vec![b' '; 70 << 10][..],
        ] {
            let e = registry_error("u", 404, body, "r", "t");
            assert!(matches!(e, Error::Http { code: None, .. }));
            assert!(serde_json::to_value(&e)
                .unwrap()
                .get("registryCode")
                .is_none());
        }
        for c in RegistryCode::ALL {
            let w = serde_json::to_value(c).unwrap();
            assert_eq!(serde_json::from_value::<RegistryCode>(w).unwrap(), c);
        }
    }

    #[test]
    fn judges_heads() {
        assert_eq!(
            judge("u", R, 206, Some("bytes 100-163/5000"), Some(64)).unwrap(),
            RangeVerdict::Partial
        );
        assert_eq!(
            judge("u", R, 206, None, Some(64)).unwrap(),
            RangeVerdict::Partial
        );
        assert_eq!(
            judge("u", R, 206, None, None).unwrap(),
            RangeVerdict::Partial
        );
        assert!(judge("u", R, 206, Some("bytes 0-63/5000"), None).is_err());
        assert!(judge("u", R, 206, None, Some(65)).is_err());
        assert_eq!(
            judge("u", R, 200, None, Some(5000)).unwrap(),
            RangeVerdict::Ignored
        );
        assert_eq!(judge("u", R, 416, None, None).unwrap(), RangeVerdict::Other);
        assert_eq!(
            judge("u", R, 401, None, Some(120)).unwrap(),
            RangeVerdict::Other
        );
        assert!(judge("u", R, 206, Some("bytes 100-18446744073709551615/*"), None).is_err());
        assert_eq!(parse_content_range("bytes 0-99/*"), Some((0, 99, None)));
        assert_eq!(parse_content_range("bytes 9-1/10"), None);
    }
}
