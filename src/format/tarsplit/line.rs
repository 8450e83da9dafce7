//! One tar-split JSON line, and its base64: read fast when the line has the shape Go's
//! `encoding/json` gives tar-split's `storage.Entry`, through serde_json otherwise.
//!
//! Why a reader of its own: a big layer's tar-split is hundreds of MB of lines, nearly all of it
//! base64 payload strings of a kilobyte each. serde_json scans every string byte by byte (for
//! escapes, then again for UTF-8) and the `base64` crate decodes at about 1.5 GB/s; on a
//! 154,000-entry layer that was about a quarter of the whole inspection's CPU time. The fast
//! reader here decodes a payload with `base64-simd` straight from the line, taking the line's
//! tail (`","position":N}`) as the string's end when the text before it decodes (base64 holds
//! no quote), and otherwise finds a string's end with `memchr`.
//!
//! What keeps it exact: [`read`] only takes a line its fast reader is sure serde_json reads to
//! the same [`Line`] (an object of the known keys, each once, no whitespace, no escapes, strings
//! of UTF-8 without control characters, a payload that decodes, integers without sign tricks or
//! exponents); anything else goes to serde_json, so every error and its text stay serde_json's.
//! `base64-simd`'s `STANDARD` engine accepts exactly what the `base64` crate's `STANDARD` engine
//! accepts (padding required, trailing bits zero), which the tests below compare on mutated
//! inputs; [`decode_base64`] takes its answer when it succeeds and on a failure asks the
//! `base64` crate again, for the same error message as before. [`agrees`] compares the two
//! readers on one line; the `tarsplit` fuzz target asserts it on every line it makes.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::Deserialize;
use std::borrow::Cow;

/// One JSON line. Strings are borrowed from the line when they have no escapes.
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub(super) struct Line<'a> {
    #[serde(rename = "type")]
    pub kind: u8,
    #[serde(default, borrow)]
    pub name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub name_raw: Option<Cow<'a, str>>,
    #[serde(default)]
    pub size: i64,
    #[serde(default, borrow)]
    pub payload: Option<Cow<'a, str>>,
}

/// The line read as serde_json reads it, its payload (when it has one) decoded and appended to
/// `out`: by the fast reader when it can be sure, else by serde_json and [`decode_base64`].
/// The error is serde_json's text, or the payload's base64 error (on which `out` may hold part
/// of a payload).
pub(super) fn read<'a>(raw: &'a [u8], out: &mut Vec<u8>) -> Result<Line<'a>, ReadError> {
    if let Some(line) = fast(raw, out) {
        return Ok(line);
    }
    let line: Line = serde_json::from_slice(raw).map_err(ReadError::Json)?;
    if let Some(p) = &line.payload {
        decode_base64(p.as_bytes(), out).map_err(ReadError::Payload)?;
    }
    Ok(line)
}

/// Why [`read`] failed.
#[derive(Debug)]
pub(super) enum ReadError {
    /// Not a line serde_json reads into [`Line`].
    Json(serde_json::Error),
    /// The payload is not base64.
    Payload(base64::DecodeError),
}

/// Base64 (standard alphabet, padded) appended to `out`; the `base64` crate's error on failure.
pub(super) fn decode_base64(text: &[u8], out: &mut Vec<u8>) -> Result<(), base64::DecodeError> {
    let start = out.len();
    if base64_simd::STANDARD.decode_append(text, out).is_ok() {
        return Ok(());
    }
    out.truncate(start);
    out.extend_from_slice(&B64.decode(text)?);
    Ok(())
}

/// The keys [`Line`] reads, plus the `position` tar-split writes (which [`Line`] ignores).
const TYPE: u8 = 1;
const NAME: u8 = 2;
const NAME_RAW: u8 = 4;
const SIZE: u8 = 8;
const PAYLOAD: u8 = 16;
const POSITION: u8 = 32;

/// The fast reader: `None` whenever it is not sure (then `out` is as it was). The payload is
/// decoded into `out` and not returned: a string that `base64-simd` decodes holds only base64
/// characters, so it is a string serde_json reads as it is, and needs no check of its own.
fn fast<'a>(raw: &'a [u8], out: &mut Vec<u8>) -> Option<Line<'a>> {
    let start = out.len();
    let line = fast_inner(raw, out);
    if line.is_none() {
        out.truncate(start);
    }
    line
}

fn fast_inner<'a>(raw: &'a [u8], out: &mut Vec<u8>) -> Option<Line<'a>> {
    let mut c = Cursor { raw, at: 0 };
    c.eat(b'{')?;
    let mut seen = 0u8;
    let mut line = Line {
        kind: 0,
        name: None,
        name_raw: None,
        size: 0,
        payload: None,
    };
    loop {
        let key = match c.string()? {
            "type" => TYPE,
            "name" => NAME,
            "name_raw" => NAME_RAW,
            "size" => SIZE,
            "payload" => PAYLOAD,
            "position" => POSITION,
            _ => return None,
        };
        if seen & key != 0 {
            return None;
        }
        seen |= key;
        c.eat(b':')?;
        match key {
            TYPE => line.kind = u8::try_from(c.integer()?).ok()?,
            NAME => line.name = c.string_or_null()?.map(Cow::Borrowed),
            NAME_RAW => line.name_raw = c.string_or_null()?.map(Cow::Borrowed),
            SIZE => line.size = c.integer()?,
            PAYLOAD => {
                if !c.null() && !c.payload_before_position(out) {
                    let text = c.raw_string()?;
                    base64_simd::STANDARD.decode_append(text, out).ok()?;
                }
            }
            _ => {
                c.integer()?;
            }
        }
        match c.next()? {
            b',' => continue,
            b'}' => break,
            _ => return None,
        }
    }
    (c.at == raw.len() && seen & TYPE != 0).then_some(line)
}

struct Cursor<'a> {
    raw: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn next(&mut self) -> Option<u8> {
        let b = *self.raw.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// A string's bytes up to its closing quote, if it has no escapes; not checked further.
    fn raw_string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let rest = &self.raw[self.at..];
        let len = memchr::memchr2(b'"', b'\\', rest)?;
        if rest[len] != b'"' {
            return None;
        }
        self.at += len + 1;
        Some(&rest[..len])
    }

    /// A string without escapes or control characters, in UTF-8.
    fn string(&mut self) -> Option<&'a str> {
        let s = self.raw_string()?;
        if s.iter().any(|&b| b < 0x20) {
            return None;
        }
        std::str::from_utf8(s).ok()
    }

    /// The payload string read without scanning it for its end, when the line ends as
    /// tar-split writes it, `","position":N}`: the text up to that tail is decoded, and if it
    /// decodes it holds only base64 characters, so the tail's quote is the string's end.
    /// `false` (with `out` as it was) when the line does not end so or the text does not decode.
    fn payload_before_position(&mut self, out: &mut Vec<u8>) -> bool {
        const TAIL: &[u8] = b"\",\"position\":";
        let Some(body) = self.raw.strip_suffix(b"}") else {
            return false;
        };
        let digits = body.iter().rev().take_while(|b| b.is_ascii_digit()).count();
        let Some(before) = body[..body.len() - digits].strip_suffix(TAIL) else {
            return false;
        };
        let start = self.at + 1;
        if digits == 0 || self.raw.get(self.at) != Some(&b'"') || before.len() < start {
            return false;
        }
        let len = out.len();
        if base64_simd::STANDARD
            .decode_append(&before[start..], out)
            .is_err()
        {
            out.truncate(len);
            return false;
        }
        self.at = before.len() + 1;
        true
    }

    fn null(&mut self) -> bool {
        let null = self.raw[self.at..].starts_with(b"null");
        if null {
            self.at += 4;
        }
        null
    }

    fn string_or_null(&mut self) -> Option<Option<&'a str>> {
        if self.null() {
            return Some(None);
        }
        self.string().map(Some)
    }

    /// An integer as JSON writes it (`-`, then `0` or digits not starting with `0`), of at most
    /// 18 digits so that it fits any type [`Line`] reads, not `-0`; it must end where a value
    /// ends.
    fn integer(&mut self) -> Option<i64> {
        let negative = self.raw.get(self.at) == Some(&b'-');
        if negative {
            self.at += 1;
        }
        let digits = self.raw[self.at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || digits > 18 || (digits > 1 && self.raw[self.at] == b'0') {
            return None;
        }
        if !matches!(self.raw.get(self.at + digits), Some(b',' | b'}')) {
            return None;
        }
        let mut n: i64 = 0;
        for &d in &self.raw[self.at..self.at + digits] {
            n = n * 10 + i64::from(d - b'0');
        }
        self.at += digits;
        match (negative, n) {
            // serde_json reads `-0` as a float, which no integer field accepts.
            (true, 0) => None,
            (true, n) => Some(-n),
            (false, n) => Some(n),
        }
    }
}

/// A line's outcome, to compare the two readers: the line (without its payload text) and the
/// payload's bytes, or the error's text.
type Outcome<'a> = Result<(Line<'a>, Vec<u8>), String>;

/// What serde_json and the `base64` crate make of a line.
fn slow(raw: &[u8]) -> Outcome<'_> {
    let line: Line = serde_json::from_slice(raw).map_err(|e| e.to_string())?;
    let bytes = match &line.payload {
        Some(p) => B64
            .decode(p.as_bytes())
            .map_err(|e| format!("payload: {e}"))?,
        None => Vec::new(),
    };
    Ok((
        Line {
            payload: None,
            ..line
        },
        bytes,
    ))
}

/// What [`read`] makes of it.
fn ours(raw: &[u8]) -> Outcome<'_> {
    let mut out = Vec::new();
    match read(raw, &mut out) {
        Ok(line) => Ok((
            Line {
                payload: None,
                ..line
            },
            out,
        )),
        Err(ReadError::Json(e)) => Err(e.to_string()),
        Err(ReadError::Payload(e)) => Err(format!("payload: {e}")),
    }
}

/// Whether [`read`] gives what serde_json and the `base64` crate give on this line (the value,
/// or the error's text). The fuzzers assert it on every line they make.
pub(super) fn agrees(raw: &[u8]) -> bool {
    ours(raw) == slow(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), so the comparisons need no extra crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn took_fast_path(raw: &[u8]) -> bool {
        fast(raw, &mut Vec::new()).is_some()
    }

    #[test]
    fn real_lines_take_the_fast_path_and_read_as_serde_json_reads_them() {
        for (raw, fast) in [
            (&br#"{"type":2,"payload":"ZDAwMDAvAAAA","position":0}"#[..], true),
            (br#"{"type":1,"name":"d0000/","payload":null,"position":1}"#, true),
            (
                br#"{"type":1,"name":"d0000/f000000","size":1,"payload":"NCAAAAAAAAA=","position":3}"#,
                true,
            ),
            (
                br#"{"type":1,"name_raw":"/w==","size":12,"payload":"NCAAAAAAAAA=","position":3}"#,
                true,
            ),
            // The payload not last: found by its closing quote, not by the line's tail.
            (
                br#"{"type":1,"payload":"NCAAAAAAAAA=","name":"a","position":3}"#,
                true,
            ),
            (br#"{"type":2,"payload":"","position":0}"#, true),
            // A tail that is not JSON, an escaped quote in the payload: serde_json's turn.
            (br#"{"type":2,"payload":"AAAA","position":01}"#, false),
            (br#"{"type":2,"payload":"AA\"AA","position":0}"#, false),
            // An escape, and a payload that is not base64: serde_json's turn.
            (br#"{"type":1,"name":"caf\u00e9","position":3}"#, false),
            (br#"{"type":2,"payload":"ZDAwMDAvAAA","position":0}"#, false),
        ] {
            assert_eq!(took_fast_path(raw), fast, "{}", String::from_utf8_lossy(raw));
            assert_eq!(ours(raw), slow(raw));
        }
    }

    /// Whatever the line, `read` gives serde_json's and the `base64` crate's value, or their
    /// error text.
    #[test]
    fn mutated_lines_read_as_serde_json_reads_them() {
        let seeds: [&[u8]; 4] = [
            br#"{"type":2,"payload":"ZDAwMDAvAAAA","position":0}"#,
            br#"{"type":1,"name":"d0000/","payload":null,"position":1}"#,
            br#"{"type":1,"name":"d/f","size":1,"payload":"NCAAAAAAAAA=","position":3}"#,
            br#"{"type":1,"name_raw":"/w==","size":-1,"position":10}"#,
        ];
        let alphabet =
            b"{}[]\":,-0123456789 \t\\ntypesizenamepayloadposition_raw=+/\x01\x7f\xc3\xa9\xff";
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut fast_taken = 0;
        for _ in 0..200_000 {
            let mut raw = seeds[rng.below(seeds.len())].to_vec();
            for _ in 0..=rng.below(3) {
                let at = rng.below(raw.len() + 1);
                let b = alphabet[rng.below(alphabet.len())];
                match rng.below(3) {
                    0 if at < raw.len() => raw[at] = b,
                    1 if at < raw.len() => {
                        raw.remove(at);
                    }
                    _ => raw.insert(at, b),
                }
            }
            if took_fast_path(&raw) {
                fast_taken += 1;
            }
            assert_eq!(ours(&raw), slow(&raw), "{}", String::from_utf8_lossy(&raw));
        }
        // The comparison means something only if both paths were exercised.
        assert!(fast_taken > 1_000, "{fast_taken}");
    }

    /// `base64-simd`'s STANDARD engine accepts what the `base64` crate's does, with the same
    /// bytes; and the error, when there is one, is the `base64` crate's.
    #[test]
    fn base64_engines_agree() {
        let alphabet =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n\r\\";
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut both_ok = 0;
        for i in 0..300_000 {
            let text: Vec<u8> = if i % 2 == 0 {
                (0..rng.below(14))
                    .map(|_| {
                        let range = if rng.below(10) == 0 {
                            alphabet.len()
                        } else {
                            64
                        };
                        alphabet[rng.below(range)]
                    })
                    .collect()
            } else {
                let data: Vec<u8> = (0..rng.below(40)).map(|_| rng.next() as u8).collect();
                let mut e = B64.encode(&data).into_bytes();
                if !e.is_empty() && rng.below(2) == 0 {
                    let k = rng.below(e.len());
                    e[k] = alphabet[rng.below(alphabet.len())];
                }
                e
            };
            let mut out = vec![7];
            let got = decode_base64(&text, &mut out).map(|()| out[1..].to_vec());
            let simd = base64_simd::STANDARD.decode_to_vec(&text).ok();
            let want = B64.decode(&text);
            assert_eq!(
                simd,
                want.as_ref().ok().cloned(),
                "{:?}",
                String::from_utf8_lossy(&text)
            );
            assert_eq!(got, want);
            if want.is_ok() {
                both_ok += 1;
            }
        }
        assert!(both_ok > 50_000, "{both_ok}");
    }
}
