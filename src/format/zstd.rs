//! zstd framing: skippable frames and bounded, multi-frame decompression with `ruzstd`.
//!
//! A zstd:chunked blob is many concatenated frames (one per chunk) plus skippable frames that
//! carry the metadata. A file's payload spans several frames, so every decode here walks frames
//! until the input ends, skipping skippable ones (readers that stop after the first frame are a
//! known source of bugs). Output is capped: we never trust a declared size, and never let a
//! small input expand past the limit the caller gives (the "zstd bomb" defence).

use crate::error::{Error, Result};
use ruzstd::decoding::{FrameDecoder, StreamingDecoder};
use std::io::Read;

/// The magic the zstd:chunked writer uses for its skippable frames (RFC 8878 allows ..50 to ..5F).
pub const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;
/// Size of a skippable frame's header (magic + length).
pub const SKIPPABLE_HEADER_LEN: u64 = 8;
/// The largest window we accept, matching libzstd's default limit (ruzstd's is 100 MiB).
pub const MAX_WINDOW: u64 = 128 << 20;

fn is_skippable(magic: u32) -> bool {
    magic & 0xFFFF_FFF0 == 0x184D_2A50
}

/// Checks that the 8 bytes before a section are a skippable-frame header announcing exactly
/// `len` bytes of data.
pub fn is_skippable_header(header: &[u8], len: u64) -> bool {
    header.len() == 8
        && is_skippable(u32::from_le_bytes(
            header[0..4].try_into().expect("4 bytes"),
        ))
        && u64::from(u32::from_le_bytes(
            header[4..8].try_into().expect("4 bytes"),
        )) == len
}

/// Decompresses every frame in `input`, skipping skippable frames, into at most `limit` bytes.
/// `what` names the data in errors.
pub fn decompress(what: &str, input: &[u8], limit: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    decompress_into(what, input, limit, &mut out)?;
    Ok(out)
}

/// Like [`decompress`], but the caller also knows the exact decompressed length (from an
/// annotation, a footer or a TOC). A claim over `limit` is refused before any work is done and
/// nothing is allocated from the claim: the buffer grows only with real output.
pub fn decompress_exact(what: &str, input: &[u8], expected: u64, limit: u64) -> Result<Vec<u8>> {
    if expected > limit {
        return Err(Error::TooLarge {
            what: format!("{what} (declared uncompressed size)"),
            size: expected,
            limit,
        });
    }
    let mut out = Vec::new();
    decompress_into(what, input, expected, &mut out).map_err(|e| match e {
        Error::TooLarge { .. } => Error::LengthMismatch {
            what: what.to_string(),
            expected,
            actual: expected + 1,
        },
        e => e,
    })?;
    if out.len() as u64 != expected {
        return Err(Error::LengthMismatch {
            what: what.to_string(),
            expected,
            actual: out.len() as u64,
        });
    }
    Ok(out)
}

fn decompress_into(what: &str, input: &[u8], limit: u64, out: &mut Vec<u8>) -> Result<()> {
    let zerr = |m: String| Error::Zstd {
        what: what.to_string(),
        message: m,
    };
    let mut rest = input;
    let mut decoder = FrameDecoder::new();
    decoder.set_max_window_size(MAX_WINDOW);
    while !rest.is_empty() {
        if rest.len() < 4 {
            return Err(zerr(format!(
                "{} stray bytes after the last frame",
                rest.len()
            )));
        }
        let magic = u32::from_le_bytes(rest[0..4].try_into().expect("4 bytes"));
        if is_skippable(magic) {
            if rest.len() < 8 {
                return Err(zerr("truncated skippable frame header".into()));
            }
            let len = u32::from_le_bytes(rest[4..8].try_into().expect("4 bytes")) as usize;
            if rest.len() - 8 < len {
                return Err(zerr("truncated skippable frame".into()));
            }
            rest = &rest[8 + len..];
            continue;
        }
        let before = rest.len();
        let room = limit.saturating_sub(out.len() as u64);
        // The decoder borrows `rest` only for this frame; afterwards `rest` starts at the next.
        let got = {
            let mut stream = StreamingDecoder::new_with_decoder(&mut rest, &mut decoder)
                .map_err(|e| zerr(e.to_string()))?;
            (&mut stream)
                .take(room + 1)
                .read_to_end(out)
                .map_err(|e| zerr(e.to_string()))?
        };
        if got as u64 > room {
            return Err(Error::TooLarge {
                what: format!("{what} (decompressed)"),
                size: out.len() as u64,
                limit,
            });
        }
        if rest.len() == before {
            return Err(zerr("decoder made no progress".into()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // `printf 'hello' | zstd -c | xxd -i`
    const HELLO: &[u8] = &[
        0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x05, 0x29, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x57,
        0x0f, 0x96, 0x5b,
    ];

    #[test]
    fn frames_and_skippable_frames() {
        let mut input = HELLO.to_vec();
        input.extend(SKIPPABLE_MAGIC.to_le_bytes());
        input.extend(3u32.to_le_bytes());
        input.extend([1, 2, 3]);
        input.extend(HELLO);
        assert_eq!(decompress("t", &input, 100).unwrap(), b"hellohello");
        assert_eq!(
            decompress_exact("t", &input, 10, 100).unwrap(),
            b"hellohello"
        );
        assert!(matches!(
            decompress_exact("t", &input, 9, 100),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            decompress_exact("t", &input, 11, 100),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            decompress_exact("t", &input, 1000, 100),
            Err(Error::TooLarge { .. })
        ));
        assert!(matches!(
            decompress("t", &input, 7),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(matches!(
            decompress("t", b"not zstd at all", 100),
            Err(Error::Zstd { .. })
        ));
        assert!(matches!(
            decompress("t", &HELLO[..10], 100),
            Err(Error::Zstd { .. })
        ));
    }
}
