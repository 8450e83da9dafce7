//! OCI digest strings (`algorithm:hex`) and checking bytes against them.
//!
//! zstd:chunked authenticates everything by digest: the manifest annotation covers the compressed
//! TOC, the TOC covers the compressed tar-split and every file. Only `sha256` is produced by the
//! reference writer; `sha512` is accepted because the OCI spec registers it.

use crate::error::{Error, Result};
use sha2::{Digest as _, Sha256, Sha512};
use std::fmt;

/// A parsed, validated digest, held as raw bytes (a TOC of 100k files holds ~200k of these).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Digest {
    /// A SHA-256 digest: `sha256:` and 64 lowercase hex digits.
    Sha256([u8; 32]),
    /// A SHA-512 digest: `sha512:` and 128 lowercase hex digits (boxed to keep `Digest` small).
    Sha512(Box<[u8; 64]>),
}

impl Digest {
    /// Parses `sha256:<64 lowercase hex>` (or sha512 with 128).
    pub fn parse(s: &str) -> Result<Digest> {
        let bad = |reason: &str| Error::BadDigest {
            value: s.to_string(),
            reason: reason.into(),
        };
        let (alg, hex) = s.split_once(':').ok_or_else(|| bad("missing ':'"))?;
        let len = match alg {
            "sha256" => 64,
            "sha512" => 128,
            _ => return Err(bad("unsupported algorithm (sha256 or sha512 expected)")),
        };
        // One pass over the hex: each pair checked and converted together.
        const fn nibble(b: u8) -> u8 {
            match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                _ => 0xFF,
            }
        }
        let hex_error = || bad(&format!("expected {len} lowercase hex digits"));
        if hex.len() != len {
            return Err(hex_error());
        }
        // A table lookup per digit, the bad digits or-ed together and looked at once at the end
        // (no branch per digit: a 154,000-entry TOC has as many digests).
        const NIBBLE: [u8; 256] = {
            let mut t = [0xFFu8; 256];
            let mut i = 0;
            while i < 256 {
                t[i] = nibble(i as u8);
                i += 1;
            }
            t
        };
        let mut bytes = [0u8; 64];
        let mut bad_digits = 0u8;
        for (out, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
            let (hi, lo) = (NIBBLE[usize::from(pair[0])], NIBBLE[usize::from(pair[1])]);
            bad_digits |= hi | lo;
            *out = hi << 4 | lo;
        }
        if bad_digits > 0xF {
            return Err(hex_error());
        }
        Ok(if len == 64 {
            Digest::Sha256(bytes[..32].try_into().expect("32 bytes"))
        } else {
            Digest::Sha512(Box::new(bytes))
        })
    }

    /// The sha256 digest of `data`.
    pub fn sha256(data: &[u8]) -> Digest {
        Digest::Sha256(Sha256::digest(data).into())
    }

    /// The digest of `data` computed with this digest's algorithm.
    pub fn of_same_kind(&self, data: &[u8]) -> Digest {
        let mut h = Hasher::for_digest(self);
        h.update(data);
        h.finish()
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

    /// The raw digest bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Digest::Sha256(b) => b,
            Digest::Sha512(b) => &b[..],
        }
    }
}

/// Incremental hashing for data that arrives in pieces (file previews, streamed bodies).
pub struct Hasher(HasherInner);
enum HasherInner {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    /// A hasher with the algorithm of `d` (its value is ignored).
    pub fn for_digest(d: &Digest) -> Hasher {
        Hasher(match d {
            Digest::Sha256(_) => HasherInner::Sha256(Sha256::new()),
            Digest::Sha512(_) => HasherInner::Sha512(Sha512::new()),
        })
    }
    /// Hashes more bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            HasherInner::Sha256(h) => h.update(data),
            HasherInner::Sha512(h) => h.update(data),
        }
    }
    /// The digest of every byte passed to [`Hasher::update`].
    pub fn finish(self) -> Digest {
        match self.0 {
            HasherInner::Sha256(h) => Digest::Sha256(h.finalize().into()),
            HasherInner::Sha512(h) => Digest::Sha512(Box::new(h.finalize().into())),
        }
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Digest::Sha256(_) => "sha256:",
            Digest::Sha512(_) => "sha512:",
        })?;
        for b in self.bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Digests serialize as their `algorithm:hex` string, as everywhere in OCI.
impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
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
    fn round_trips() {
        for s in [
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            &format!("sha512:{}", "0a".repeat(64)),
        ] {
            assert_eq!(Digest::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(
            serde_json::to_string(&Digest::sha256(b"")).unwrap(),
            "\"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\""
        );
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
