//! Registry authentication: the Bearer token dance and Basic credentials.
//!
//! A registry that wants a token answers 401 with `WWW-Authenticate: Bearer realm=…,service=…,
//! scope=…`; the client asks the realm for a token (anonymously, or with Basic credentials) and
//! retries with `Authorization: Bearer`. In a browser the header is readable only when the
//! registry exposes it (CORS), so the realm can also be configured. Tokens are cached per scope.
//! Credentials are only ever attached to the registry's own origin and the token realm.

use crate::error::{Error, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::Deserialize;
use std::collections::BTreeMap;

/// What the user supplied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// A ready token, sent as `Authorization: Bearer` without a token request.
    pub token: Option<String>,
    /// User name for Basic credentials (sent to the token realm, or to the registry itself).
    pub username: Option<String>,
    /// Password or access token for Basic credentials.
    pub password: Option<String>,
    /// Token endpoint to use when the challenge header cannot be read.
    pub realm: Option<String>,
    /// The `service` to ask the realm for, when the challenge header cannot be read.
    pub service: Option<String>,
}

impl Credentials {
    /// The `Authorization: Basic …` value, when a user name is set.
    pub fn basic_header(&self) -> Option<String> {
        let (u, p) = (
            self.username.as_ref()?,
            self.password.as_deref().unwrap_or(""),
        );
        Some(format!("Basic {}", B64.encode(format!("{u}:{p}"))))
    }
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// `Bearer realm=…,service=…,scope=…`: fetch a token from `realm`.
    Bearer {
        /// The token endpoint.
        realm: String,
        /// The service to name in the token request.
        service: Option<String>,
        /// The scope the server asked for.
        scope: Option<String>,
    },
    /// `Basic`: send the user name and password with every request.
    Basic,
}

/// Parses the first challenge of a `WWW-Authenticate` value.
pub fn parse_challenge(v: &str) -> Option<Challenge> {
    let v = v.trim();
    let (scheme, params) = v.split_once(' ').unwrap_or((v, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let p = parse_params(params);
    Some(Challenge::Bearer {
        realm: p.get("realm")?.clone(),
        service: p.get("service").cloned(),
        scope: p.get("scope").cloned(),
    })
}

/// `a="x",b=y` → map (quoted values may contain commas).
fn parse_params(s: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some((k, after)) = rest.split_once('=') else {
            break;
        };
        let k = k.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (v, next) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"').unwrap_or(q.len());
            (q[..end].to_string(), q.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        out.insert(k, v);
        rest = next.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

/// The scope a pull needs.
pub fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

/// The token request URL for a challenge.
pub fn token_url(realm: &str, service: Option<&str>, scope: &str) -> String {
    let mut u = realm.to_string();
    let mut sep = if u.contains('?') { '&' } else { '?' };
    if let Some(s) = service {
        u.push_str(&format!("{sep}service={}", encode(s)));
        sep = '&';
    }
    u.push_str(&format!("{sep}scope={}", encode(scope)));
    u
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn encode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

#[derive(Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
}

/// Extracts the token from a token endpoint's JSON answer.
pub fn parse_token_response(body: &[u8]) -> Result<String> {
    let t: TokenResponse =
        serde_json::from_slice(body).map_err(|e| Error::Oci(format!("token response: {e}")))?;
    t.token
        .or(t.access_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::Oci("token response has no token".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let c = parse_challenge(r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#).unwrap();
        assert_eq!(
            c,
            Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("registry.example".into()),
                scope: Some("repository:a/b:pull,push".into())
            }
        );
        assert_eq!(parse_challenge("Basic realm=\"x\""), Some(Challenge::Basic));
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(
            token_url("https://a/token", Some("reg"), "repository:x/y:pull"),
            "https://a/token?service=reg&scope=repository%3Ax%2Fy%3Apull"
        );
        assert_eq!(
            parse_token_response(br#"{"access_token":"t"}"#).unwrap(),
            "t"
        );
        assert!(parse_token_response(b"{}").is_err());
    }
}
