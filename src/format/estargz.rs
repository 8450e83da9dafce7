//! eStargz (stargz-snapshotter's `estargz` package): the gzip footer, the TOC (a gzip member
//! holding a tar with `stargz.index.json`) and the chunk payloads (gzip members).
//!
//! Layout of an eStargz blob (stargz-snapshotter `estargz/gzip.go`, `docs/estargz.md`):
//! * file payloads: each chunk of a regular file starts a new gzip member; the tar headers sit in
//!   members of their own between them;
//! * the TOC: one gzip member whose content is a tar stream with one entry, `stargz.index.json`;
//! * the footer: an empty gzip member of 51 bytes whose FEXTRA field holds the subfield `SG`
//!   (length 22) = `%016x` TOC offset + `STARGZ` (the older 47-byte footer has the 22 bytes as the
//!   whole extra field, without the subfield header).
//!
//! The TOC JSON has the zstd:chunked TOC's schema (the zstd:chunked format borrowed it), without
//! `endOffset`: a chunk's compressed end is the next payload's offset, or the TOC's.
//!
//! stargz-snapshotter's `zstdchunked` compressor writes the same TOC JSON into a zstd frame with
//! the legacy 40-byte zstd:chunked footer; it is read through the zstd:chunked code and checked
//! here only against the eStargz TOC digest.

use crate::error::{Error, Result};
use crate::format::digest::Digest;
use crate::format::zstd;
use serde::Serialize;
use std::io::Read;

/// The current footer: an empty gzip member with the `SG` extra subfield.
pub const FOOTER_SIZE: u64 = 51;
/// The footer of stargz-snapshotter before the `SG` subfield header was added.
pub const LEGACY_FOOTER_SIZE: u64 = 47;
/// The name of the TOC inside the TOC member's tar.
pub const TOC_TAR_NAME: &str = "stargz.index.json";
/// Files before this entry are prioritized (prefetched by stargz-snapshotter).
pub const PREFETCH_LANDMARK: &str = ".prefetch.landmark";
/// This entry says no file is prioritized.
pub const NO_PREFETCH_LANDMARK: &str = ".no.prefetch.landmark";
/// Bytes of tar framing allowed around the TOC JSON (header, padding, end-of-archive blocks).
const TAR_OVERHEAD: u64 = 64 << 10;

/// Which footer an eStargz blob ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FooterVariant {
    /// 51 bytes, FEXTRA = `SG` subfield.
    #[serde(rename = "estargz-51")]
    Estargz51,
    /// 47 bytes, FEXTRA = the 22 bytes alone.
    #[serde(rename = "estargz-legacy-47")]
    Legacy47,
}

impl FooterVariant {
    /// The wire spelling (`estargz-51`, `estargz-legacy-47`).
    pub fn name(self) -> &'static str {
        match self {
            FooterVariant::Estargz51 => "estargz-51",
            FooterVariant::Legacy47 => "estargz-legacy-47",
        }
    }
    /// Bytes the footer occupies at the end of the blob.
    pub fn size(self) -> u64 {
        match self {
            FooterVariant::Estargz51 => FOOTER_SIZE,
            FooterVariant::Legacy47 => LEGACY_FOOTER_SIZE,
        }
    }
}

/// A parsed eStargz footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    /// Which layout the footer has.
    pub variant: FooterVariant,
    /// Byte offset of the TOC gzip member in the blob (as the footer claims it: check it against the blob size).
    pub toc_offset: u64,
}

/// Parses the footer from the blob's last bytes (`tail`, at least 47 of them; normally 51).
/// Tries the 51-byte layout first, then the 47-byte one, as stargz-snapshotter's reader does.
pub fn parse_footer(tail: &[u8]) -> Result<Footer> {
    let n = tail.len();
    if n < LEGACY_FOOTER_SIZE as usize {
        return Err(Error::Truncated {
            what: "eStargz footer",
            needed: LEGACY_FOOTER_SIZE,
            got: n as u64,
        });
    }
    let mut first_err = None;
    if n >= FOOTER_SIZE as usize {
        match parse_member(&tail[n - FOOTER_SIZE as usize..], FooterVariant::Estargz51) {
            Ok(f) => return Ok(f),
            Err(e) => first_err = Some(e),
        }
    }
    match parse_member(
        &tail[n - LEGACY_FOOTER_SIZE as usize..],
        FooterVariant::Legacy47,
    ) {
        Ok(f) => Ok(f),
        Err(e) => Err(first_err.unwrap_or(e)),
    }
}

/// The 51-byte footer stargz-snapshotter writes for a TOC at `toc_offset` (`gzipFooterBytes`).
pub fn footer_bytes(toc_offset: u64) -> Vec<u8> {
    let mut v = vec![
        0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 26, 0, b'S', b'G', 22, 0,
    ];
    v.extend_from_slice(format!("{toc_offset:016x}STARGZ").as_bytes());
    v.extend_from_slice(&[1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
    v
}

fn footer_err(reason: String) -> Error {
    Error::EstargzFooter { reason }
}

/// One footer candidate: a whole gzip member of exactly `variant.size()` bytes.
fn parse_member(m: &[u8], variant: FooterVariant) -> Result<Footer> {
    // 10-byte gzip header: ID1 ID2 CM FLG MTIME(4) XFL OS.
    if m[0] != 0x1f || m[1] != 0x8b || m[2] != 8 {
        return Err(footer_err(format!(
            "the last {} bytes are not a gzip member (starts {:02x?})",
            m.len(),
            &m[..3]
        )));
    }
    if m[3] != 0x04 {
        return Err(footer_err(format!(
            "gzip flags {:#04x}: the footer member has FEXTRA and nothing else",
            m[3]
        )));
    }
    let xlen = u16::from_le_bytes([m[10], m[11]]) as usize;
    let (want_xlen, field) = match variant {
        FooterVariant::Estargz51 => (26, 16),
        FooterVariant::Legacy47 => (22, 12),
    };
    if xlen != want_xlen {
        return Err(footer_err(format!(
            "extra field of {xlen} bytes, {want_xlen} expected"
        )));
    }
    if variant == FooterVariant::Estargz51 {
        if &m[12..14] != b"SG" {
            return Err(footer_err(format!(
                "extra subfield id {:?}, \"SG\" expected",
                String::from_utf8_lossy(&m[12..14])
            )));
        }
        let slen = u16::from_le_bytes([m[14], m[15]]);
        if slen != 22 {
            return Err(footer_err(format!(
                "extra subfield of {slen} bytes, 22 expected"
            )));
        }
    }
    let hex = &m[field..field + 16];
    if &m[field + 16..field + 22] != b"STARGZ" {
        return Err(footer_err(
            "no STARGZ magic in the footer's extra field".into(),
        ));
    }
    // An empty stored final block, then CRC32 and ISIZE of nothing.
    let tail = &m[field + 22..];
    if tail != [1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0] {
        return Err(footer_err(format!(
            "the footer member is not empty (deflate and trailer {tail:02x?})"
        )));
    }
    let toc_offset = parse_hex_offset(hex).ok_or_else(|| {
        footer_err(format!(
            "TOC offset {} is not 16 hex digits",
            crate::format::gofmt::quote(hex)
        ))
    })?;
    Ok(Footer {
        variant,
        toc_offset,
    })
}

/// Go's `strconv.ParseInt(s, 16, 64)` on 16 bytes, for non-negative results.
fn parse_hex_offset(hex: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(hex).ok()?;
    let v = i64::from_str_radix(s.strip_prefix('+').unwrap_or(s), 16).ok()?;
    u64::try_from(v).ok()
}

/// What containers/storage 1.57's `readEstargzChunkedManifest` makes of a blob's last 51 bytes:
/// it parses `footer[16:32]` as a hex TOC offset without checking anything else. `Err` is the
/// error text it returns (`parse ToC offset: strconv.ParseInt: parsing "…": invalid syntax`).
pub fn reference_toc_offset(last51: &[u8]) -> std::result::Result<i64, String> {
    let Some(field) = last51.get(16..32) else {
        return Err("blob too small".into());
    };
    let quoted = crate::format::gofmt::quote(field);
    let s = String::from_utf8_lossy(field);
    let digits = s
        .strip_prefix('+')
        .or_else(|| s.strip_prefix('-'))
        .unwrap_or(&s);
    let syntax = || format!("parse ToC offset: strconv.ParseInt: parsing {quoted}: invalid syntax");
    if std::str::from_utf8(field).is_err()
        || digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(syntax());
    }
    i64::from_str_radix(&s, 16).map_err(|_| {
        format!("parse ToC offset: strconv.ParseInt: parsing {quoted}: value out of range")
    })
}

/// The TOC JSON read from the TOC member, and how it was framed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TocMember {
    /// The bytes of `stargz.index.json`, at most the `limit` given to [`read_toc`].
    pub json: Vec<u8>,
    /// Name of the tar entry that held it (`stargz.index.json`).
    pub tar_name: String,
}

/// Reads the TOC gzip member: gzip → tar → the first entry, which must be `stargz.index.json`.
/// Decompression is bounded (`limit` bytes of JSON plus the tar's framing), never trusting a size
/// from the input for an allocation.
pub fn read_toc(member: &[u8], limit: u64) -> Result<TocMember> {
    let gz = flate2::read::GzDecoder::new(member);
    let capped = gz.take(limit.saturating_add(TAR_OVERHEAD));
    let mut archive = tar::Archive::new(capped);
    let toc_err = |reason: String| Error::EstargzToc { reason };
    let io_err = |e: std::io::Error| Error::Gzip {
        what: "eStargz TOC".into(),
        message: e.to_string(),
    };
    let mut entries = archive.entries().map_err(io_err)?;
    let mut entry = match entries.next() {
        Some(e) => e.map_err(io_err)?,
        None => return Err(toc_err("the TOC member holds an empty tar".into())),
    };
    let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
    if name != TOC_TAR_NAME {
        return Err(toc_err(format!(
            "the TOC member's tar holds {name:?}, not {TOC_TAR_NAME:?}"
        )));
    }
    let size = entry.header().size().map_err(io_err)?;
    if size > limit {
        return Err(Error::TooLarge {
            what: "eStargz TOC (uncompressed)".into(),
            size,
            limit,
        });
    }
    let mut json = Vec::new();
    entry.read_to_end(&mut json).map_err(io_err)?;
    if json.len() as u64 != size {
        return Err(Error::LengthMismatch {
            what: "eStargz TOC".into(),
            expected: size,
            actual: json.len() as u64,
        });
    }
    Ok(TocMember {
        json,
        tar_name: name,
    })
}

/// The eStargz TOC digest (`containerd.io/snapshot/stargz/toc.digest`): the sha256 of the
/// uncompressed TOC JSON.
pub fn verify_toc_digest(expected: &Digest, json: &[u8]) -> Result<()> {
    expected.verify("eStargz TOC JSON", json)
}

/// Decompresses a file's payload (gzip members for eStargz, zstd frames otherwise) and returns
/// its first `size` bytes. eStargz-style extents run to the next payload, so they may hold more
/// (the next tar headers): those are not decompressed. Fewer than `size` bytes is an error.
pub fn payload_prefix(what: &str, input: &[u8], size: u64, limit: u64) -> Result<Vec<u8>> {
    if size > limit {
        return Err(Error::TooLarge {
            what: format!("{what} (declared size)"),
            size,
            limit,
        });
    }
    let mut out = Vec::new();
    if input.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(input)
            .take(size)
            .read_to_end(&mut out)
            .map_err(|e| Error::Gzip {
                what: what.to_string(),
                message: e.to_string(),
            })?;
    } else {
        let mut frames = zstd::Frames::new(what, input, size.saturating_add(1));
        let r = (&mut frames).take(size).read_to_end(&mut out);
        r.map_err(|e| frames.error(e))?;
    }
    if out.len() as u64 != size {
        return Err(Error::LengthMismatch {
            what: what.to_string(),
            expected: size,
            actual: out.len() as u64,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn footer(off: u64) -> Vec<u8> {
        footer_bytes(off)
    }

    #[test]
    fn footers() {
        let f = footer(0x23f327);
        assert_eq!(f.len(), 51);
        assert_eq!(
            parse_footer(&f).unwrap(),
            Footer {
                variant: FooterVariant::Estargz51,
                toc_offset: 2356007
            }
        );
        assert_eq!(reference_toc_offset(&f), Ok(2356007));
        let mut legacy = vec![0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 22, 0];
        legacy.extend_from_slice(b"0000000000000100STARGZ");
        legacy.extend_from_slice(&[1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(legacy.len(), 47);
        let mut tail = vec![7u8; 4];
        tail.extend_from_slice(&legacy);
        assert_eq!(
            parse_footer(&tail).unwrap(),
            Footer {
                variant: FooterVariant::Legacy47,
                toc_offset: 256
            }
        );
        let mut bad = f.clone();
        bad[20] = b'g';
        assert!(matches!(
            parse_footer(&bad),
            Err(Error::EstargzFooter { .. })
        ));
        assert!(matches!(
            parse_footer(&f[..40]),
            Err(Error::Truncated { .. })
        ));
    }

    #[test]
    fn reference_reads_zstd_footer_as_podman_did() {
        // The last 51 bytes of stargz-zstdchunked-small (a 48-byte legacy zstd:chunked footer
        // frame preceded by the end of the TOC frame).
        let hex = "502a4d182800000025462300000000003e2b0000000000006a4f0100000000000100000000000000476e556c496e5578";
        let mut last51 = vec![0u8, 0, 0];
        last51.extend(
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()),
        );
        assert_eq!(
            reference_toc_offset(&last51).unwrap_err(),
            r#"parse ToC offset: strconv.ParseInt: parsing "\x00\x00\x00>+\x00\x00\x00\x00\x00\x00jO\x01\x00\x00": invalid syntax"#
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(
            crate::format::gofmt::quote(b"a\"\\\n\x7f\xff\xc3\xa9"),
            r#""a\"\\\n\x7f\xffé""#
        );
    }
}
