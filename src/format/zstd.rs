//! zstd framing: skippable frames and bounded, multi-frame decompression with `ruzstd`.
//!
//! A zstd:chunked blob is many concatenated frames (one per chunk) plus skippable frames that
//! carry the metadata. A file's payload spans several frames, so every decode here walks frames
//! until the input ends, skipping skippable ones (readers that stop after the first frame are a
//! known source of bugs). Output is capped: we never trust a declared size, and never let a
//! small input expand past the limit the caller gives (the "zstd bomb" defence).

use crate::error::{Error, Result};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};
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
        Error::TooLarge { .. } => Error::Overlong {
            what: what.to_string(),
            expected,
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

/// [`decompress_exact`] without holding the output: calls `on_line` with each `\n`-separated
/// line of the decompressed data (without the `\n`), holding one line at a time. The errors are
/// the ones `decompress_exact` then a parse of the whole output would give, with the same
/// precedence: a decompression or length error wins over an error `on_line` returned, so after
/// `on_line` fails the rest is still decompressed (and discarded) to find out.
pub fn for_each_line_exact(
    what: &str,
    input: &[u8],
    expected: u64,
    limit: u64,
    mut on_line: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    use std::io::BufRead;
    if expected > limit {
        return Err(Error::TooLarge {
            what: format!("{what} (declared uncompressed size)"),
            size: expected,
            limit,
        });
    }
    let mut r = std::io::BufReader::with_capacity(1 << 16, Frames::new(what, input, expected));
    let mut line = Vec::new();
    let mut first_error = None;
    loop {
        line.clear();
        let n = match r.read_until(b'\n', &mut line) {
            Ok(n) => n,
            Err(e) => {
                return Err(match r.get_mut().error(e) {
                    Error::TooLarge { .. } => Error::Overlong {
                        what: what.to_string(),
                        expected,
                    },
                    e => e,
                })
            }
        };
        if n == 0 {
            break;
        }
        if first_error.is_none() {
            let raw = line.strip_suffix(b"\n").unwrap_or(&line);
            if let Err(e) = on_line(raw) {
                first_error = Some(e);
            }
        }
    }
    let produced = r.get_ref().produced;
    if produced != expected {
        return Err(Error::LengthMismatch {
            what: what.to_string(),
            expected,
            actual: produced,
        });
    }
    first_error.map_or(Ok(()), Err)
}

fn decompress_into(what: &str, input: &[u8], limit: u64, out: &mut Vec<u8>) -> Result<()> {
    let mut r = Frames::new(what, input, limit);
    r.read_to_end(out).map_err(|e| r.error(e))?;
    Ok(())
}

/// A `Read` over the decompressed content of every frame in a byte slice, skipping skippable
/// frames, that fails as soon as more than `limit` bytes come out: the bound is enforced while
/// decoding, so a small input can never expand past it. Every decompression in this module reads
/// through it.
pub struct Frames<'a> {
    what: &'a str,
    rest: &'a [u8],
    decoder: FrameDecoder,
    in_frame: bool,
    produced: u64,
    limit: u64,
    /// The typed error behind the last `io::Error` this reader returned.
    failure: Option<Error>,
}

impl<'a> Frames<'a> {
    /// A reader over `input` that decodes at most `limit` bytes; `what` names the data in errors.
    pub fn new(what: &'a str, input: &'a [u8], limit: u64) -> Frames<'a> {
        let mut decoder = FrameDecoder::new();
        decoder.set_max_window_size(MAX_WINDOW);
        Frames {
            what,
            rest: input,
            decoder,
            in_frame: false,
            produced: 0,
            limit,
            failure: None,
        }
    }

    /// The typed error for an `io::Error` this reader returned (or a read error of its own).
    pub fn error(&mut self, e: std::io::Error) -> Error {
        self.failure
            .take()
            .unwrap_or_else(|| self.zerr(e.to_string()))
    }

    fn zerr(&self, message: String) -> Error {
        Error::Zstd {
            what: self.what.to_string(),
            message,
        }
    }

    fn fail(&mut self, e: Error) -> std::io::Error {
        let io = std::io::Error::other(e.to_string());
        self.failure = Some(e);
        io
    }

    /// Moves past skippable frames; false at the end of the input.
    fn next_frame(&mut self) -> Result<bool> {
        loop {
            if self.rest.is_empty() {
                return Ok(false);
            }
            if self.rest.len() < 4 {
                return Err(self.zerr(format!(
                    "{} stray bytes after the last frame",
                    self.rest.len()
                )));
            }
            let magic = u32::from_le_bytes(self.rest[0..4].try_into().expect("4 bytes"));
            if !is_skippable(magic) {
                break;
            }
            if self.rest.len() < 8 {
                return Err(self.zerr("truncated skippable frame header".into()));
            }
            let len = u32::from_le_bytes(self.rest[4..8].try_into().expect("4 bytes")) as usize;
            if self.rest.len() - 8 < len {
                return Err(self.zerr("truncated skippable frame".into()));
            }
            self.rest = &self.rest[8 + len..];
        }
        self.decoder
            .reset(&mut self.rest)
            .map_err(|e| self.zerr(e.to_string()))?;
        Ok(true)
    }
}

impl Read for Frames<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame {
                match self.next_frame() {
                    Ok(true) => self.in_frame = true,
                    Ok(false) => return Ok(0),
                    Err(e) => return Err(self.fail(e)),
                }
            }
            if self.decoder.can_collect() > 0 {
                let n = self.decoder.read(buf)?;
                self.produced += n as u64;
                if self.produced > self.limit {
                    let e = Error::TooLarge {
                        what: format!("{} (decompressed)", self.what),
                        size: self.produced,
                        limit: self.limit,
                    };
                    return Err(self.fail(e));
                }
                return Ok(n);
            }
            if self.decoder.is_finished() {
                self.in_frame = false;
                continue;
            }
            let before = self.rest.len();
            if let Err(e) = self
                .decoder
                .decode_blocks(&mut self.rest, BlockDecodingStrategy::UptoBlocks(1))
            {
                let e = self.zerr(e.to_string());
                return Err(self.fail(e));
            }
            if self.rest.len() == before
                && self.decoder.can_collect() == 0
                && !self.decoder.is_finished()
            {
                let e = self.zerr("decoder made no progress".into());
                return Err(self.fail(e));
            }
        }
    }
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
        // Longer than declared: decoding stops past the declared length, so the real length is
        // not known and not made up.
        assert_eq!(
            decompress_exact("t", &input, 9, 100),
            Err(Error::Overlong {
                what: "t".into(),
                expected: 9
            })
        );
        assert_eq!(
            decompress_exact("t", &input, 11, 100),
            Err(Error::LengthMismatch {
                what: "t".into(),
                expected: 11,
                actual: 10
            })
        );
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
    fn lines_exact_streams_and_keeps_error_precedence() {
        let mut input = Vec::new();
        for _ in 0..3 {
            input.extend(HELLO);
        }
        let mut lines = Vec::new();
        for_each_line_exact("t", &input, 15, 100, |l| {
            lines.push(l.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(lines, [b"hellohellohello".to_vec()]);
        // The length errors of decompress_exact, and they win over a line error.
        let fail = |_: &[u8]| Err(Error::TarSplit("bad line".into()));
        assert_eq!(
            for_each_line_exact("t", &input, 14, 100, fail),
            Err(Error::Overlong {
                what: "t".into(),
                expected: 14
            })
        );
        assert_eq!(
            for_each_line_exact("t", &input, 16, 100, fail),
            Err(Error::LengthMismatch {
                what: "t".into(),
                expected: 16,
                actual: 15
            })
        );
        assert!(matches!(
            for_each_line_exact("t", &input, 1000, 100, fail),
            Err(Error::TooLarge { .. })
        ));
        assert_eq!(
            for_each_line_exact("t", &input, 15, 100, fail),
            Err(Error::TarSplit("bad line".into()))
        );
        assert!(matches!(
            for_each_line_exact("t", &HELLO[..10], 5, 100, fail),
            Err(Error::Zstd { .. })
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
