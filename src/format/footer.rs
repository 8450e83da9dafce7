//! The binary footer: the last skippable frame of a zstd:chunked blob.
//!
//! The reference puller never reads it (it trusts the annotations), but it is how a blob
//! describes itself, so it is what we read when a blob comes without its descriptor. Three
//! layouts were written over the years; all fit in the blob's last 72 bytes, which is why
//! [`FOOTER_READ_LEN`] is what a reader fetches (as an absolute range, never a suffix range).

use crate::error::{Error, Result};
use crate::format::annotations::Section;
use crate::format::zstd::SKIPPABLE_MAGIC;

/// How many bytes from the end of the blob hold every known footer layout.
pub const FOOTER_READ_LEN: u64 = 72;
/// "GNUlInUx", the current footer magic (c/storage v1.50 and later).
pub const MAGIC_CURRENT: [u8; 8] = *b"GNUlInUx";
/// "GnUlInUx", the magic of the older layouts.
pub const MAGIC_LEGACY: [u8; 8] = *b"GnUlInUx";

/// Which footer layout a blob carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FooterVariant {
    /// 64 bytes of data (72 with the frame header): TOC and tar-split positions, "GNUlInUx".
    Current,
    /// c/storage v1.47 to v1.49: 56 bytes of data, "GnUlInUx" at data bytes 32..40, then zeros.
    Buggy56,
    /// c/storage v1.31 to v1.46: 40 bytes of data, "GnUlInUx" at the end.
    Legacy,
}

impl FooterVariant {
    /// Bytes the footer frame occupies at the end of the blob, header included.
    pub fn frame_len(self) -> u64 {
        match self {
            FooterVariant::Current => 72,
            FooterVariant::Buggy56 => 64,
            FooterVariant::Legacy => 48,
        }
    }
    /// The wire spelling (`current-72`, `v1.47-64`, `legacy-48`).
    pub fn name(self) -> &'static str {
        match self {
            FooterVariant::Current => "current-72",
            FooterVariant::Buggy56 => "v1.47-64",
            FooterVariant::Legacy => "legacy-48",
        }
    }
}

/// A parsed footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    /// Which layout the footer has.
    pub variant: FooterVariant,
    /// Where the compressed TOC sits (as claimed: not yet checked against the blob).
    pub toc: Section,
    /// The manifest type field; the only defined value is 1.
    pub toc_type: u64,
    /// Only the current layout records the tar-split position.
    pub tar_split: Option<Section>,
}

/// Parses the footer from the last bytes of a blob (`tail` = the blob's last `tail.len()`
/// bytes, normally [`FOOTER_READ_LEN`]). Tries the layouts from newest to oldest.
pub fn parse(tail: &[u8]) -> Result<Footer> {
    let n = tail.len();
    let u64_at = |i: usize| u64::from_le_bytes(tail[i..i + 8].try_into().expect("8 bytes"));
    let frame_header_at = |start: usize, size: u32| {
        tail[start..start + 4] == SKIPPABLE_MAGIC.to_le_bytes()
            && tail[start + 4..start + 8] == size.to_le_bytes()
    };
    let section = |at: usize| Section {
        offset: u64_at(at),
        length: u64_at(at + 8),
        uncompressed_length: u64_at(at + 16),
    };

    if n >= 72 && frame_header_at(n - 72, 64) && tail[n - 8..] == MAGIC_CURRENT {
        let d = n - 64;
        return Ok(Footer {
            variant: FooterVariant::Current,
            toc: section(d),
            toc_type: u64_at(d + 24),
            tar_split: Some(section(d + 32)),
        });
    }
    if n >= 64
        && frame_header_at(n - 64, 56)
        && tail[n - 24..n - 16] == MAGIC_LEGACY
        && tail[n - 16..].iter().all(|&b| b == 0)
    {
        let d = n - 56;
        return Ok(Footer {
            variant: FooterVariant::Buggy56,
            toc: section(d),
            toc_type: u64_at(d + 24),
            tar_split: None,
        });
    }
    if n >= 48 && frame_header_at(n - 48, 40) && tail[n - 8..] == MAGIC_LEGACY {
        let d = n - 40;
        return Ok(Footer {
            variant: FooterVariant::Legacy,
            toc: section(d),
            toc_type: u64_at(d + 24),
            tar_split: None,
        });
    }
    if n < 48 {
        return Err(Error::Truncated {
            what: "footer",
            needed: 48,
            got: n as u64,
        });
    }
    Err(Error::Footer(format!(
        "no known zstd:chunked footer in the last {n} bytes (last 8 bytes: {:02x?})",
        &tail[n - 8..]
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current(toc: [u64; 4], ts: [u64; 3]) -> Vec<u8> {
        let mut v = SKIPPABLE_MAGIC.to_le_bytes().to_vec();
        v.extend(64u32.to_le_bytes());
        for x in toc.iter().chain(ts.iter()) {
            v.extend(x.to_le_bytes());
        }
        v.extend(MAGIC_CURRENT);
        v
    }

    #[test]
    fn worked_example_from_the_format_doc() {
        let f = parse(&current(
            [107123052, 1009822, 5525223, 1],
            [108132882, 612322, 15402870],
        ))
        .unwrap();
        assert_eq!(f.variant, FooterVariant::Current);
        assert_eq!(f.toc.offset + f.toc.length + 8, f.tar_split.unwrap().offset);
    }

    #[test]
    fn legacy_layouts() {
        let mut v = vec![0xAAu8; 24];
        v.extend(SKIPPABLE_MAGIC.to_le_bytes());
        v.extend(40u32.to_le_bytes());
        for x in [5u64, 6, 7, 1] {
            v.extend(x.to_le_bytes());
        }
        v.extend(MAGIC_LEGACY);
        let f = parse(&v).unwrap();
        assert_eq!(
            (f.variant, f.toc.offset, f.tar_split),
            (FooterVariant::Legacy, 5, None)
        );

        let mut v = vec![0u8; 8];
        v.extend(SKIPPABLE_MAGIC.to_le_bytes());
        v.extend(56u32.to_le_bytes());
        for x in [5u64, 6, 7, 1] {
            v.extend(x.to_le_bytes());
        }
        v.extend(MAGIC_LEGACY);
        v.extend([0u8; 16]);
        assert_eq!(parse(&v).unwrap().variant, FooterVariant::Buggy56);
    }

    #[test]
    fn errors() {
        assert!(matches!(parse(&[0; 10]), Err(Error::Truncated { .. })));
        let mut v = current([1, 2, 3, 1], [4, 5, 6]);
        v[71] = b'X';
        assert!(matches!(parse(&v), Err(Error::Footer(_))));
    }
}
