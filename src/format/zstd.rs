//! zstd framing: skippable frames and bounded, multi-frame decompression with `ruzstd`.
//!
//! A zstd:chunked blob is many concatenated frames (one per chunk) plus skippable frames that
//! carry the metadata. A file's payload spans several frames, so every decode here walks frames
//! until the input ends, skipping skippable ones (readers that stop after the first frame are a
//! known source of bugs). Output is capped: we never trust a declared size, and never let a
//! small input expand past the limit the caller gives (the "zstd bomb" defence).
//!
//! Two decoders sit behind one reader ([`Frames`]): `ruzstd` (pure Rust; the browser build and
//! any build without the `libzstd` feature) and, natively with the `libzstd` feature (on with
//! `cli`), libzstd through the `zstd` crate, two to four times faster on a big TOC or
//! tar-split. Both accept the same input (libzstd is told to ignore frame checksums, which
//! ruzstd does not check, and both cap the window at [`MAX_WINDOW`]) and give the same error
//! kinds; only the wording of a [`Error::Zstd`] message differs.

use crate::error::{Error, Result};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};
use std::io::Read;

/// Whether this build decodes with libzstd (native, feature `libzstd`) rather than ruzstd.
pub const LIBZSTD: bool = cfg!(all(feature = "libzstd", not(target_arch = "wasm32")));

/// The decoder behind a [`Frames`] reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Pure-Rust `ruzstd` (every build).
    Ruzstd,
    /// libzstd through the `zstd` crate (native builds with the `libzstd` feature).
    #[cfg(all(feature = "libzstd", not(target_arch = "wasm32")))]
    Libzstd,
}

impl Backend {
    /// The fastest decoder this build has.
    pub fn best() -> Backend {
        #[cfg(all(feature = "libzstd", not(target_arch = "wasm32")))]
        return Backend::Libzstd;
        #[cfg(not(all(feature = "libzstd", not(target_arch = "wasm32"))))]
        Backend::Ruzstd
    }
}

/// How far a declared uncompressed length may exceed the compressed input (as a multiple) and
/// still size the output buffer up front. Real TOCs compress about 25:1; a claim beyond this
/// ratio still decodes, but the buffer then grows with the real output only, so a small input
/// with a large claim reserves nothing (in the browser, reserved memory is committed).
const PRESIZE_RATIO: u64 = 128;

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
    decompress_exact_with(Backend::best(), what, input, expected, limit)
}

/// [`decompress_exact`] with a chosen decoder (the benchmarks and tests compare them). The
/// output buffer is sized once from `expected` when the claim is plausible for the input's size
/// (see `PRESIZE_RATIO`, 128×), so a big TOC is never copied while its buffer doubles.
pub fn decompress_exact_with(
    backend: Backend,
    what: &str,
    input: &[u8],
    expected: u64,
    limit: u64,
) -> Result<Vec<u8>> {
    if expected > limit {
        return Err(Error::TooLarge {
            what: format!("{what} (declared uncompressed size)"),
            size: expected,
            limit,
        });
    }
    let plausible = expected <= (input.len() as u64).saturating_mul(PRESIZE_RATIO);
    let mut out = Vec::with_capacity(if plausible {
        // Within `limit` (checked above), so it fits a usize.
        usize::try_from(expected).unwrap_or(0)
    } else {
        0
    });
    let mut r = Frames::with_backend(backend, what, input, expected);
    r.read_to_end(&mut out)
        .map_err(|e| r.error(e))
        .map_err(|e| match e {
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
    on_line: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    for_each_line_exact_with(Backend::best(), what, input, expected, limit, on_line)
}

/// [`for_each_line_exact`] with a chosen decoder (the benchmarks and tests compare them).
pub fn for_each_line_exact_with(
    backend: Backend,
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
    let mut r = std::io::BufReader::with_capacity(
        1 << 16,
        Frames::with_backend(backend, what, input, expected),
    );
    // Lines are handed over where they lie in the decoder's buffer; only a line that straddles
    // two fills is copied (for a tar-split, one line in fifty).
    let mut line = Vec::new();
    let mut first_error = None;
    let mut give = |raw: &[u8], first_error: &mut Option<Error>| {
        if first_error.is_none() {
            if let Err(e) = on_line(raw) {
                *first_error = Some(e);
            }
        }
    };
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
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
        if buf.is_empty() {
            if !line.is_empty() {
                give(&line, &mut first_error);
            }
            break;
        }
        let used = match memchr::memchr(b'\n', buf) {
            Some(i) if line.is_empty() => {
                give(&buf[..i], &mut first_error);
                i + 1
            }
            Some(i) => {
                line.extend_from_slice(&buf[..i]);
                give(&line, &mut first_error);
                line.clear();
                i + 1
            }
            None => {
                line.extend_from_slice(buf);
                buf.len()
            }
        };
        r.consume(used);
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
    decoder: Decoder,
    produced: u64,
    limit: u64,
    /// The typed error behind the last `io::Error` this reader returned.
    failure: Option<Error>,
    /// A decoder parameter libzstd refused: every read fails rather than decode differently.
    setup_error: Option<String>,
}

enum Decoder {
    Ruzstd {
        decoder: Box<FrameDecoder>,
        in_frame: bool,
    },
    #[cfg(all(feature = "libzstd", not(target_arch = "wasm32")))]
    Libzstd {
        dctx: zstd::zstd_safe::DCtx<'static>,
        /// Inside a frame: libzstd's last hint was not 0.
        in_frame: bool,
    },
}

impl<'a> Frames<'a> {
    /// A reader with this build's fastest decoder ([`Backend::best`]).
    pub fn new(what: &'a str, input: &'a [u8], limit: u64) -> Frames<'a> {
        Frames::with_backend(Backend::best(), what, input, limit)
    }

    /// A reader over `input` that decodes at most `limit` bytes with the given decoder; `what`
    /// names the data in errors.
    pub fn with_backend(
        backend: Backend,
        what: &'a str,
        input: &'a [u8],
        limit: u64,
    ) -> Frames<'a> {
        #[cfg_attr(
            not(all(feature = "libzstd", not(target_arch = "wasm32"))),
            allow(unused_mut)
        )]
        let mut setup_error = None;
        let decoder = match backend {
            Backend::Ruzstd => {
                let mut decoder = FrameDecoder::new();
                decoder.set_max_window_size(MAX_WINDOW);
                Decoder::Ruzstd {
                    decoder: Box::new(decoder),
                    in_frame: false,
                }
            }
            #[cfg(all(feature = "libzstd", not(target_arch = "wasm32")))]
            Backend::Libzstd => {
                use zstd::zstd_safe::{DCtx, DParameter};
                let mut dctx = DCtx::create();
                // The window cap (2^27 = MAX_WINDOW, libzstd's default, set anyway) and no
                // checksum check, as ruzstd (built without its `hash` feature) does not check.
                for p in [
                    DParameter::WindowLogMax(MAX_WINDOW.trailing_zeros()),
                    DParameter::ForceIgnoreChecksum(true),
                ] {
                    if let Err(code) = dctx.set_parameter(p) {
                        setup_error = Some(zstd::zstd_safe::get_error_name(code).to_string());
                    }
                }
                Decoder::Libzstd {
                    dctx,
                    in_frame: false,
                }
            }
        };
        Frames {
            what,
            rest: input,
            decoder,
            produced: 0,
            limit,
            failure: None,
            setup_error,
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

    /// Counts `n` bytes of output; an error past the limit.
    fn count(&mut self, n: usize) -> std::io::Result<usize> {
        self.produced += n as u64;
        if self.produced > self.limit {
            let e = Error::TooLarge {
                what: format!("{} (decompressed)", self.what),
                size: self.produced,
                limit: self.limit,
            };
            return Err(self.fail(e));
        }
        Ok(n)
    }

    /// ruzstd: moves past skippable frames; false at the end of the input.
    fn next_frame(
        rest: &mut &[u8],
        decoder: &mut FrameDecoder,
    ) -> std::result::Result<bool, String> {
        loop {
            if rest.is_empty() {
                return Ok(false);
            }
            if rest.len() < 4 {
                return Err(format!("{} stray bytes after the last frame", rest.len()));
            }
            let magic = u32::from_le_bytes(rest[0..4].try_into().expect("4 bytes"));
            if !is_skippable(magic) {
                break;
            }
            if rest.len() < 8 {
                return Err("truncated skippable frame header".into());
            }
            let len = u32::from_le_bytes(rest[4..8].try_into().expect("4 bytes")) as usize;
            if rest.len() - 8 < len {
                return Err("truncated skippable frame".into());
            }
            *rest = &rest[8 + len..];
        }
        decoder.reset(&mut *rest).map_err(|e| e.to_string())?;
        Ok(true)
    }

    fn read_ruzstd(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // (The only decoder in builds without libzstd.)
        #[allow(irrefutable_let_patterns)]
        let Decoder::Ruzstd { decoder, in_frame } = &mut self.decoder
        else {
            unreachable!("read_ruzstd on another decoder")
        };
        loop {
            if !*in_frame {
                match Self::next_frame(&mut self.rest, decoder) {
                    Ok(true) => *in_frame = true,
                    Ok(false) => return Ok(0),
                    Err(m) => {
                        let e = self.zerr(m);
                        return Err(self.fail(e));
                    }
                }
            }
            if decoder.can_collect() > 0 {
                let n = decoder.read(buf)?;
                return self.count(n);
            }
            if decoder.is_finished() {
                *in_frame = false;
                continue;
            }
            let before = self.rest.len();
            if let Err(e) =
                decoder.decode_blocks(&mut self.rest, BlockDecodingStrategy::UptoBlocks(1))
            {
                let e = self.zerr(e.to_string());
                return Err(self.fail(e));
            }
            if self.rest.len() == before && decoder.can_collect() == 0 && !decoder.is_finished() {
                let e = self.zerr("decoder made no progress".into());
                return Err(self.fail(e));
            }
        }
    }

    #[cfg(all(feature = "libzstd", not(target_arch = "wasm32")))]
    fn read_libzstd(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use zstd::zstd_safe::{InBuffer, OutBuffer};
        let Decoder::Libzstd { dctx, in_frame } = &mut self.decoder else {
            unreachable!("read_libzstd on another decoder")
        };
        loop {
            if self.rest.is_empty() && !*in_frame {
                return Ok(0);
            }
            let mut input = InBuffer::around(self.rest);
            let mut output = OutBuffer::around(&mut *buf);
            let hint = dctx.decompress_stream(&mut output, &mut input);
            let (read, written) = (input.pos(), output.pos());
            self.rest = &self.rest[read..];
            match hint {
                Ok(hint) => *in_frame = hint != 0,
                Err(code) => {
                    let e = self.zerr(zstd::zstd_safe::get_error_name(code).to_string());
                    return Err(self.fail(e));
                }
            }
            if written > 0 {
                return self.count(written);
            }
            if read == 0 {
                let e = self.zerr(if self.rest.is_empty() {
                    "truncated frame".into()
                } else {
                    "decoder made no progress".into()
                });
                return Err(self.fail(e));
            }
        }
    }
}

impl Read for Frames<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(m) = self.setup_error.clone() {
            let e = self.zerr(m);
            return Err(self.fail(e));
        }
        match self.decoder {
            Decoder::Ruzstd { .. } => self.read_ruzstd(buf),
            #[cfg(all(feature = "libzstd", not(target_arch = "wasm32")))]
            Decoder::Libzstd { .. } => self.read_libzstd(buf),
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
