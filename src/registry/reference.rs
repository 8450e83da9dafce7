//! Image references: `HOST[:PORT]/REPO[:TAG|@DIGEST]` and registry base URLs.

use crate::error::{Error, Result};
use crate::format::digest::Digest;

/// Where an image lives and which one it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `scheme://host[:port]`, no trailing slash.
    pub base: String,
    /// The repository path (`library/alpine`), validated.
    pub repository: String,
    /// A tag or a digest.
    pub reference: String,
}

impl ImageRef {
    /// Parses `HOST[:PORT]/REPO[:TAG|@DIGEST]` (the part after `docker://`). `insecure` picks
    /// plain http.
    pub fn parse(s: &str, insecure: bool) -> Result<ImageRef> {
        let bad = |m: &str| Error::Input(format!("image reference {s:?}: {m}"));
        let (host, rest) = s
            .split_once('/')
            .ok_or_else(|| bad("expected HOST/REPO[:TAG]"))?;
        if host.is_empty() || host.contains(['@', '?', '#']) {
            return Err(bad("bad host"));
        }
        let (repo, reference) = split_repo_ref(rest);
        let scheme = if insecure { "http" } else { "https" };
        ImageRef::new(&format!("{scheme}://{host}"), repo, reference)
    }

    /// From the pieces the browser API takes: a registry URL (`http(s)://host[:port]`, a bare
    /// host means https), a repository and a tag or digest (default `latest`).
    pub fn new(registry: &str, repository: &str, reference: &str) -> Result<ImageRef> {
        let base = normalize_registry(registry)?;
        validate_repository(repository)?;
        let reference = if reference.is_empty() {
            "latest"
        } else {
            reference
        };
        if reference.contains(':') {
            Digest::parse(reference)?;
        } else if reference.len() > 128
            || !reference
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            return Err(Error::Input(format!("tag {reference:?}: only letters, digits, '.', '_' and '-' are allowed (at most 128)")));
        }
        Ok(ImageRef {
            base,
            repository: repository.to_string(),
            reference: reference.to_string(),
        })
    }

    /// The URL of a manifest: `reference` is a tag or a digest.
    pub fn manifest_url(&self, reference: &str) -> String {
        format!(
            "{}/v2/{}/manifests/{}",
            self.base, self.repository, reference
        )
    }
    /// The URL of a blob: `digest` is `algorithm:hex`.
    pub fn blob_url(&self, digest: &str) -> String {
        format!("{}/v2/{}/blobs/{}", self.base, self.repository, digest)
    }
    /// `REPO:TAG` or `REPO@DIGEST`, for display.
    pub fn display(&self) -> String {
        let sep = if self.reference.contains(':') {
            '@'
        } else {
            ':'
        };
        format!("{}/{}{sep}{}", self.base, self.repository, self.reference)
    }
}

/// `REPO:TAG` / `REPO@DIGEST` / `REPO` → (repo, reference).
pub fn split_repo_ref(s: &str) -> (&str, &str) {
    if let Some((r, d)) = s.split_once('@') {
        return (r, d);
    }
    match s.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (s, "latest"),
    }
}

/// `http://host:port/` → `http://host:port`; a bare `host[:port]` gets https. A path prefix is
/// kept (`http://127.0.0.1:8080/registry/https/registry.example.com`: a registry reached through a
/// gateway such as `chunkscope serve`); its segments are plain (letters, digits, `._~:-`), never
/// `.`/`..`, and the last one is not `v2` (the API path is added to the base).
pub fn normalize_registry(s: &str) -> Result<String> {
    let s = s.trim().trim_end_matches('/');
    let with_scheme = if s.starts_with("http://") || s.starts_with("https://") {
        s.to_string()
    } else if let Some((scheme, rest)) = s
        .split_once("://")
        .filter(|(sc, _)| sc.eq_ignore_ascii_case("http") || sc.eq_ignore_ascii_case("https"))
    {
        format!("{}://{rest}", scheme.to_ascii_lowercase())
    } else if let Some((scheme, _)) = s.split_once("://") {
        return Err(Error::Input(format!(
            "registry {s:?}: the scheme {scheme:?} is not supported: a registry is read over http:// or https://"
        )));
    } else {
        format!("https://{s}")
    };
    let rest = with_scheme.split_once("://").map(|x| x.1).unwrap_or("");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let bad_path = !path.is_empty()
        && (path.split('/').any(|seg| {
            seg.is_empty()
                || seg == "."
                || seg == ".."
                || !seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._~:-".contains(&b))
        }) || path.rsplit('/').next() == Some("v2"));
    if host.is_empty() || host.contains(['?', '#', '@', ' ']) || bad_path {
        return Err(Error::Input(format!(
            "registry {s:?}: expected http(s)://HOST[:PORT]"
        )));
    }
    Ok(with_scheme)
}

/// Is `url` on the registry at `base` (same origin and, for a base with a path, under it)?
pub fn within_registry(url: &str, base: &str) -> bool {
    url.strip_prefix(base)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
}

/// Whether `r` is a repository name the distribution spec allows (lowercase path components of
/// letters, digits and `._-`, each starting with a letter or digit; at most 255 bytes).
pub fn is_valid_repository(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 255
        && r.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && part
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric())
        })
}

fn validate_repository(r: &str) -> Result<()> {
    if is_valid_repository(r) {
        Ok(())
    } else {
        Err(Error::Input(format!("repository {r:?}: lowercase path components of letters, digits, '.', '_', '-' expected")))
    }
}

/// The origin (`scheme://host[:port]`) of an absolute URL.
pub fn origin_of(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&url[..scheme.len() + 3 + host_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        let r = ImageRef::parse("127.0.0.1:5000/pair-b:latest", true).unwrap();
        assert_eq!(
            (r.base.as_str(), r.repository.as_str(), r.reference.as_str()),
            ("http://127.0.0.1:5000", "pair-b", "latest")
        );
        let r = ImageRef::parse("reg.example/a/b", false).unwrap();
        assert_eq!(
            (r.base.as_str(), r.repository.as_str(), r.reference.as_str()),
            ("https://reg.example", "a/b", "latest")
        );
        let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            ImageRef::parse(&format!("h/r@{d}"), false)
                .unwrap()
                .reference,
            d
        );
        assert!(ImageRef::parse("h/R", false).is_err());
        assert!(ImageRef::parse("h/r@sha256:bad", false).is_err());
        assert!(ImageRef::parse("nohost", false).is_err());
        assert_eq!(origin_of("http://a:1/v2/x?y"), Some("http://a:1"));
    }

    #[test]
    fn other_schemes_are_refused_by_name() {
        for r in ["ftp://reg.example", "file:///tmp/x", "ws://127.0.0.1:5000"] {
            let e = normalize_registry(r).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Input);
            assert!(e.to_string().contains("is not supported"), "{e}");
        }
        assert_eq!(normalize_registry("HTTP://h:1").unwrap(), "http://h:1");
        assert_eq!(normalize_registry("http://h:1/").unwrap(), "http://h:1");
    }

    #[test]
    fn registry_bases_with_a_path_prefix() {
        let b = "http://127.0.0.1:8080/registry/https/reg.example:5000";
        assert_eq!(normalize_registry(&format!("{b}/")).unwrap(), b);
        let r = ImageRef::new(b, "a/b", "1").unwrap();
        assert_eq!(r.manifest_url("1"), format!("{b}/v2/a/b/manifests/1"));
        for bad in [
            "http://h/x/../y",
            "http://h/x//y",
            "http://h/v2",
            "http://h/a b",
            "http://h/p?q",
            "http://h/./x",
        ] {
            assert!(normalize_registry(bad).is_err(), "{bad}");
        }
        assert!(within_registry(&format!("{b}/v2/"), b));
        assert!(!within_registry(&format!("{b}0/v2/"), b));
        assert!(!within_registry("http://127.0.0.1:8080/realm/0", b));
        assert!(within_registry("http://h:1/v2/", "http://h:1"));
        assert!(!within_registry("http://h:10/v2/", "http://h:1"));
    }
}
