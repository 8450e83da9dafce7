//! OCI digest strings (`algorithm:hex`) and checking bytes against them.
//!
//! zstd:chunked authenticates everything by digest: the manifest annotation covers the compressed
//! TOC, the TOC covers the compressed tar-split and every file. Only `sha256` is produced by the
//! reference writer; `sha512` is accepted because the OCI spec registers it.

use crate::error::{Error, Result};
use sha2::{Digest as _, Sha256, Sha512};
use std::fmt;

/// A parsed, validated digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Digest {
    /// Parses `sha256:<64 lowercase hex>` (or sha512 with 128).
    pub fn parse(s: &str) -> Result<Digest> {
        let bad = |reason: &str| Error::BadDigest {
            value: s.to_string(),
            reason: reason.into(),
        };
        let (alg, hex) = s.split_once(':').ok_or_else(|| bad("missing ':'"))?;
        let (algorithm, len) = match alg {
            "sha256" => (Algorithm::Sha256, 64),
            "sha512" => (Algorithm::Sha512, 128),
            _ => return Err(bad("unsupported algorithm (sha256 or sha512 expected)")),
        };
        if hex.len() != len
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(bad(&format!("expected {len} lowercase hex digits")));
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }

    /// The sha256 digest of `data`.
    pub fn sha256(data: &[u8]) -> Digest {
        Digest {
            algorithm: Algorithm::Sha256,
            hex: to_hex(&Sha256::digest(data)),
        }
    }

    /// The digest of `data` computed with this digest's algorithm.
    pub fn of_same_kind(&self, data: &[u8]) -> Digest {
        match self.algorithm {
            Algorithm::Sha256 => Digest::sha256(data),
            Algorithm::Sha512 => Digest {
                algorithm: Algorithm::Sha512,
                hex: to_hex(&Sha512::digest(data)),
            },
        }
    }

    /// Ok when `data` hashes to this digest; `what` names the data in the error.
    pub fn verify(&self, what: &str, data: &[u8]) -> Result<()> {
        let actual = self.of_same_kind(data);
        if &actual == self {
            Ok(())
        } else {
            Err(Error::DigestMismatch {
                what: what.to_string(),
                expected: self.to_string(),
                actual: actual.to_string(),
            })
        }
    }

    pub fn hex(&self) -> &str {
        &self.hex
    }
}

/// Incremental hashing for data that arrives in pieces (file previews, streamed bodies).
pub struct Hasher(HasherInner);
enum HasherInner {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    pub fn for_digest(d: &Digest) -> Hasher {
        Hasher(match d.algorithm {
            Algorithm::Sha256 => HasherInner::Sha256(Sha256::new()),
            Algorithm::Sha512 => HasherInner::Sha512(Sha512::new()),
        })
    }
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            HasherInner::Sha256(h) => h.update(data),
            HasherInner::Sha512(h) => h.update(data),
        }
    }
    pub fn finish(self) -> Digest {
        match self.0 {
            HasherInner::Sha256(h) => Digest {
                algorithm: Algorithm::Sha256,
                hex: to_hex(&h.finalize()),
            },
            HasherInner::Sha512(h) => Digest {
                algorithm: Algorithm::Sha512,
                hex: to_hex(&h.finalize()),
            },
        }
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alg = match self.algorithm {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        };
        write!(f, "{alg}:{}", self.hex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_verifies() {
        let d = Digest::parse(
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        )
        .unwrap();
        d.verify("empty", b"").unwrap();
        assert!(matches!(
            d.verify("x", b"x"),
            Err(Error::DigestMismatch { .. })
        ));
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "sha256",
            "sha256:",
            "md5:00",
            "sha256:E3B0",
            "sha256:zz",
        ] {
            assert!(
                matches!(Digest::parse(s), Err(Error::BadDigest { .. })),
                "{s}"
            );
        }
    }
}
