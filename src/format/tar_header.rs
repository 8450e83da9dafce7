//! One tar header read from one tar-split segment, exactly as containers/storage reads it.
//!
//! containers/storage 1.57.2 (`pkg/chunked/compression_linux.go` `ensureTOCMatchesTarSplit`)
//! iterates the tar-split with vbatts/tar-split v0.11.7 `tar/asm/iterate.go` `IterateHeaders`:
//! every segment record (minus the padding still owed by the previous file) is handed to a
//! fresh `archive/tar` reader (the tar-split fork of Go's), and its first header, with its PAX
//! and GNU long-name/long-link extensions, is the entry. This module is that reader: the
//! header checksum and magic (`GetFormat`), numeric fields in octal or base-256
//! (`parseNumeric`), names cut at the first NUL, the ustar prefix, GNU atime/ctime, PAX records
//! by length ([`crate::format::pax`]) merged as `mergePAX` does, and typeflag NUL read as a
//! regular file (or a directory when the name ends in `/`). Extensions must lie in the same
//! segment, as tar-split writes them. Every read is bounds-checked; nothing panics.

use crate::format::pax::{self, PaxError};
use std::collections::BTreeMap;
use std::fmt;

const BLOCK: usize = 512;
/// Go's `maxSpecialFileSize`: PAX and GNU long-name data are capped at 1 MiB.
const MAX_SPECIAL_FILE: u64 = 1 << 20;

/// A Unix time as Go's `time.Time` holds it: seconds and nanoseconds in 0..1e9.
pub type UnixTime = (i64, u32);

/// A header as `archive/tar` returns it (the fields containers/storage looks at).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// The type byte (`'0'` regular file, `'5'` directory, `'2'` symlink, …).
    pub typeflag: u8,
    /// The path, after PAX and GNU long-name extensions.
    pub name: Vec<u8>,
    /// The link target, after PAX and GNU long-link extensions.
    pub linkname: Vec<u8>,
    /// Permission and mode bits.
    pub mode: i64,
    /// Content size in bytes (never negative once read).
    pub size: i64,
    /// Owner user id.
    pub uid: i64,
    /// Owner group id.
    pub gid: i64,
    /// `None` is Go's zero `time.Time`.
    pub mtime: Option<UnixTime>,
    /// Access time (PAX `atime` or GNU), `None` when absent.
    pub atime: Option<UnixTime>,
    /// Change time (PAX `ctime` or GNU), `None` when absent.
    pub ctime: Option<UnixTime>,
    /// Device major number (character and block devices).
    pub devmajor: i64,
    /// Device minor number (character and block devices).
    pub devminor: i64,
    /// All PAX records of the entry (Go's `PAXRecords`), last one wins.
    pub pax: BTreeMap<Vec<u8>, Vec<u8>>,
}

/// Why a segment did not yield a header. `Display` gives Go's error text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// The data ended inside a block or an extension (`io.ErrUnexpectedEOF`).
    UnexpectedEof,
    /// Bad checksum, unknown format, a bad numeric field, a zero block then a non-zero one, or
    /// a bad PAX record (`archive/tar: invalid tar header`).
    Invalid(InvalidHeader),
    /// A PAX or GNU long-name extension over 1 MiB (`archive/tar: header field too long`).
    FieldTooLong {
        /// The extension's claimed size in bytes.
        size: u64,
    },
}

/// What exactly made a header invalid (Go reports them all as `ErrHeader`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidHeader {
    /// The header checksum does not match its bytes.
    Checksum,
    /// A numeric field (`field` names it) is neither octal nor base-256.
    Numeric {
        /// The field's name (`mode`, `size`, …).
        field: &'static str,
    },
    /// A zero block followed by a non-zero one.
    ZeroBlockThenData,
    /// A malformed PAX record.
    Pax(PaxError),
    /// A PAX value that is not valid for its key (a number, a time, or a forbidden NUL).
    PaxValue {
        /// The record's key.
        key: String,
    },
    /// A negative content size.
    NegativeSize,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::UnexpectedEof => f.write_str("unexpected EOF"),
            HeaderError::Invalid(_) => f.write_str("archive/tar: invalid tar header"),
            HeaderError::FieldTooLong { .. } => f.write_str("archive/tar: header field too long"),
        }
    }
}

impl HeaderError {
    /// What Go does not say: which check failed.
    pub fn detail(&self) -> String {
        match self {
            HeaderError::UnexpectedEof => "the segment ends inside a header".into(),
            HeaderError::Invalid(InvalidHeader::Checksum) => "bad checksum or magic".into(),
            HeaderError::Invalid(InvalidHeader::Numeric { field }) => {
                format!("numeric field {field} does not parse")
            }
            HeaderError::Invalid(InvalidHeader::ZeroBlockThenData) => {
                "a zero block followed by a non-zero block".into()
            }
            HeaderError::Invalid(InvalidHeader::Pax(e)) => e.to_string(),
            HeaderError::Invalid(InvalidHeader::PaxValue { key }) => {
                format!("PAX record {key:?} has a bad value")
            }
            HeaderError::Invalid(InvalidHeader::NegativeSize) => "negative size".into(),
            HeaderError::FieldTooLong { size } => {
                format!("an extension of {size} bytes (limit 1 MiB)")
            }
        }
    }
}

fn invalid(i: InvalidHeader) -> HeaderError {
    HeaderError::Invalid(i)
}

/// Reads the first header of `data` (one tar-split segment). `Ok(None)` at the end of the
/// archive (no data, or zero blocks). On success also returns the padding the entry's content
/// owes (Go's `ExpectedPadding`), which the next segment starts with.
pub fn read_first(data: &[u8]) -> Result<Option<(Header, u64)>, HeaderError> {
    let mut at = 0usize;
    let mut pax_records: Option<BTreeMap<Vec<u8>, Vec<u8>>> = None;
    let (mut long_name, mut long_link): (Option<Vec<u8>>, Option<Vec<u8>>) = (None, None);
    loop {
        let Some(blk) = read_block(data, &mut at)? else {
            return Ok(None);
        };
        if blk.iter().all(|&b| b == 0) {
            return match read_block(data, &mut at)? {
                None => Ok(None),
                Some(b) if b.iter().all(|&b| b == 0) => Ok(None),
                Some(_) => Err(invalid(InvalidHeader::ZeroBlockThenData)),
            };
        }
        let mut hdr = parse_block(blk)?;
        match hdr.typeflag {
            b'x' | b'g' | b'L' | b'K' => {
                let size =
                    u64::try_from(hdr.size).map_err(|_| invalid(InvalidHeader::NegativeSize))?;
                let body = read_special(data, &mut at, size)?;
                let pad = (BLOCK - body.len() % BLOCK) % BLOCK;
                match hdr.typeflag {
                    b'x' | b'g' => {
                        let mut map = BTreeMap::new();
                        for r in
                            pax::parse_records(body).map_err(|e| invalid(InvalidHeader::Pax(e)))?
                        {
                            map.insert(r.key.to_vec(), r.value.to_vec());
                        }
                        if hdr.typeflag == b'g' {
                            // A global header is returned as an entry of its own.
                            merge_pax(&mut hdr, &map)?;
                            // Its padding is still owed, like a file's.
                            return Ok(Some((
                                Header {
                                    typeflag: b'g',
                                    name: hdr.name,
                                    pax: map,
                                    ..Header::default()
                                },
                                pad as u64,
                            )));
                        }
                        pax_records = Some(map);
                    }
                    b'L' => long_name = Some(cut_nul(body).to_vec()),
                    _ => long_link = Some(cut_nul(body).to_vec()),
                }
                // Go's tryReadFull of the padding: data ending inside it is an EOF, and the
                // segment yields no entry (IterateHeaders skips it).
                if data.len() - at < pad {
                    return Ok(None);
                }
                at += pad;
            }
            _ => {
                if let Some(map) = &pax_records {
                    merge_pax(&mut hdr, map)?;
                }
                if let Some(n) = long_name.filter(|n| !n.is_empty()) {
                    hdr.name = n;
                }
                if let Some(l) = long_link.filter(|l| !l.is_empty()) {
                    hdr.linkname = l;
                }
                if hdr.typeflag == 0 {
                    hdr.typeflag = if hdr.name.ends_with(b"/") { b'5' } else { b'0' };
                }
                let content = if is_header_only(hdr.typeflag) {
                    0
                } else {
                    u64::try_from(hdr.size).map_err(|_| invalid(InvalidHeader::NegativeSize))?
                };
                let pad = (BLOCK as u64 - content % BLOCK as u64) % BLOCK as u64;
                return Ok(Some((hdr, pad)));
            }
        }
    }
}

/// Reads one block; `None` when the data ends exactly here (Go's `io.EOF`).
fn read_block<'a>(data: &'a [u8], at: &mut usize) -> Result<Option<&'a [u8]>, HeaderError> {
    let rest = data.get(*at..).unwrap_or_default();
    if rest.is_empty() {
        return Ok(None);
    }
    let blk = rest.get(..BLOCK).ok_or(HeaderError::UnexpectedEof)?;
    *at += BLOCK;
    Ok(Some(blk))
}

/// The data of a PAX / GNU long-name header (Go's `readSpecialFile`), without its padding.
fn read_special<'a>(data: &'a [u8], at: &mut usize, size: u64) -> Result<&'a [u8], HeaderError> {
    if size > MAX_SPECIAL_FILE {
        return Err(HeaderError::FieldTooLong { size });
    }
    let size = size as usize;
    let rest = data.get(*at..).unwrap_or_default();
    let body = rest.get(..size).ok_or(HeaderError::UnexpectedEof)?;
    *at += size;
    Ok(body)
}

fn is_header_only(flag: u8) -> bool {
    matches!(flag, b'1' | b'2' | b'3' | b'4' | b'5' | b'6')
}

fn cut_nul(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map_or(b, |i| &b[..i])
}

/// Go's header formats, as far as the reader distinguishes them.
#[derive(PartialEq)]
enum Format {
    V7,
    Ustar,
    Star,
    Gnu,
}

/// Go's `readHeader` for one non-zero block.
fn parse_block(b: &[u8]) -> Result<Header, HeaderError> {
    let f = |r: std::ops::Range<usize>| b.get(r).unwrap_or_default();
    let format = format_of(b).ok_or(invalid(InvalidHeader::Checksum))?;
    let mut err: Option<&'static str> = None;
    let mut num = |field: &'static str, r: std::ops::Range<usize>| -> i64 {
        parse_numeric(f(r)).unwrap_or_else(|| {
            err.get_or_insert(field);
            0
        })
    };
    let mut h = Header {
        typeflag: f(156..157).first().copied().unwrap_or(0),
        name: cut_nul(f(0..100)).to_vec(),
        linkname: cut_nul(f(157..257)).to_vec(),
        size: num("size", 124..136),
        mode: num("mode", 100..108),
        uid: num("uid", 108..116),
        gid: num("gid", 116..124),
        ..Header::default()
    };
    h.mtime = Some((num("mtime", 136..148), 0));
    if format != Format::V7 {
        h.devmajor = num("devmajor", 329..337);
        h.devminor = num("devminor", 337..345);
        let mut prefix: &[u8] = &[];
        match format {
            Format::Ustar => prefix = cut_nul(f(345..500)),
            Format::Star => {
                prefix = cut_nul(f(345..476));
                h.atime = Some((num("atime", 476..488), 0));
                h.ctime = Some((num("ctime", 488..500), 0));
            }
            Format::Gnu => {
                let (a, c) = (f(345..357), f(357..369));
                let mut bad = false;
                if a.first() != Some(&0) {
                    match parse_numeric(a) {
                        Some(v) => h.atime = Some((v, 0)),
                        None => bad = true,
                    }
                }
                if c.first() != Some(&0) {
                    match parse_numeric(c) {
                        Some(v) => h.ctime = Some((v, 0)),
                        None => bad = true,
                    }
                }
                if bad {
                    // Pre-Go 1.8 writers put a ustar prefix here (golang.org/issue/12594).
                    h.atime = None;
                    h.ctime = None;
                    let p = cut_nul(f(345..500));
                    if p.is_ascii() {
                        prefix = p;
                    }
                }
            }
            Format::V7 => {}
        }
        if !prefix.is_empty() {
            h.name = [prefix, b"/", &h.name].concat();
        }
    }
    match err {
        Some(field) => Err(invalid(InvalidHeader::Numeric { field })),
        None => Ok(h),
    }
}

/// Whether a 512-byte block is a tar header by Go's rules (`GetFormat`: its checksum holds, as an
/// unsigned or a signed byte sum); an all-zero block is not.
pub fn is_header(b: &[u8]) -> bool {
    b.len() >= 512 && b[..512].iter().any(|&c| c != 0) && format_of(&b[..512]).is_some()
}

/// Go's `GetFormat`: the checksum (unsigned or signed sum) and the magic.
fn format_of(b: &[u8]) -> Option<Format> {
    let field = b.get(148..156)?;
    let stored = parse_octal(field)?;
    // The sums with the checksum field counted as eight spaces: the whole block summed (a loop
    // without branches, which vectorises: this runs once per tar header), the field's own bytes
    // taken back out.
    // (A signed sum is the unsigned one less 256 for every byte of 0x80 or more.)
    let sums = |s: &[u8]| {
        let (unsigned, high) = s.chunks(1 << 16).fold((0i64, 0i64), |(u, h), part| {
            // 32-bit lanes (four to a vector register) cannot overflow on 64 KiB.
            let pu: u32 = part.iter().map(|&c| u32::from(c)).sum();
            let ph: u32 = part.iter().map(|&c| u32::from(c >> 7)).sum();
            (u + i64::from(pu), h + i64::from(ph))
        });
        (unsigned, unsigned - 256 * high)
    };
    let (all_u, all_s) = sums(b);
    let (field_u, field_s) = sums(field);
    let spaces = 8 * i64::from(b' ');
    let (unsigned, signed) = (all_u - field_u + spaces, all_s - field_s + spaces);
    if stored != unsigned && stored != signed {
        return None;
    }
    let magic = b.get(257..263)?;
    let version = b.get(263..265)?;
    let trailer = b.get(508..512)?;
    Some(match (magic, version) {
        (b"ustar\0", _) if trailer == b"tar\0" => Format::Star,
        (b"ustar\0", _) => Format::Ustar,
        (b"ustar ", b" \0") => Format::Gnu,
        _ => Format::V7,
    })
}

/// Go's `parseNumeric`: base-256 when the top bit is set, else octal. `None` on overflow or a
/// malformed octal field.
pub fn parse_numeric(b: &[u8]) -> Option<i64> {
    match b.first() {
        Some(&first) if first & 0x80 != 0 => {
            let inv = if first & 0x40 != 0 { 0xffu8 } else { 0 };
            let mut x: u64 = 0;
            for (i, &c) in b.iter().enumerate() {
                let mut c = c ^ inv;
                if i == 0 {
                    c &= 0x7f;
                }
                if x >> 56 > 0 {
                    return None;
                }
                x = x << 8 | u64::from(c);
            }
            if x >> 63 > 0 {
                return None;
            }
            Some(if inv == 0xff { !(x as i64) } else { x as i64 })
        }
        _ => parse_octal(b),
    }
}

/// Go's `parseOctal`: spaces and NULs trimmed from both ends, then cut at a NUL, base 8.
fn parse_octal(b: &[u8]) -> Option<i64> {
    let trim = |c: &u8| *c == b' ' || *c == 0;
    let start = b.iter().position(|c| !trim(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !trim(c)).map_or(start, |i| i + 1);
    let s = cut_nul(&b[start..end.max(start)]);
    // strconv.ParseUint(s, 8, 64): octal digits only (no sign, no underscores), at most 64 bits.
    let mut x: u64 = 0;
    for &c in s {
        if !(b'0'..=b'7').contains(&c) {
            return None;
        }
        x = x.checked_mul(8)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(x as i64)
}

/// Go's `mergePAX`: empty values keep the header's value; bad numbers or times are errors.
fn merge_pax(h: &mut Header, map: &BTreeMap<Vec<u8>, Vec<u8>>) -> Result<(), HeaderError> {
    for (k, v) in map {
        if v.is_empty() {
            continue;
        }
        let bad = || {
            invalid(InvalidHeader::PaxValue {
                key: String::from_utf8_lossy(k).into_owned(),
            })
        };
        let int = || -> Result<i64, HeaderError> {
            std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(bad)
        };
        match k.as_slice() {
            b"path" => h.name = v.clone(),
            b"linkpath" => h.linkname = v.clone(),
            b"uid" => h.uid = int()?,
            b"gid" => h.gid = int()?,
            b"size" => h.size = int()?,
            b"mtime" => h.mtime = Some(pax::parse_time(v).ok_or_else(bad)?),
            b"atime" => h.atime = Some(pax::parse_time(v).ok_or_else(bad)?),
            b"ctime" => h.ctime = Some(pax::parse_time(v).ok_or_else(bad)?),
            _ => {}
        }
    }
    h.pax = map.clone();
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A ustar header block with a valid checksum, mode 0644.
    pub(crate) fn ustar(name: &[u8], flag: u8, size: u64) -> Vec<u8> {
        ustar_mode(name, flag, size, "0000644")
    }

    /// A ustar header block with a valid checksum and this mode (seven octal digits).
    pub(crate) fn ustar_mode(name: &[u8], flag: u8, size: u64, mode: &str) -> Vec<u8> {
        let mut b = vec![0u8; BLOCK];
        b[..name.len()].copy_from_slice(name);
        b[100..107].copy_from_slice(mode.as_bytes());
        b[108..115].copy_from_slice(b"0000000");
        b[116..123].copy_from_slice(b"0000000");
        b[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        b[136..147].copy_from_slice(b"00000000001");
        b[156] = flag;
        b[257..263].copy_from_slice(b"ustar\0");
        b[263..265].copy_from_slice(b"00");
        b[148..156].fill(b' ');
        let sum: u32 = b.iter().map(|&c| u32::from(c)).sum();
        b[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        b
    }

    /// The checksum as Go's `GetFormat` writes it: byte by byte, the field read as spaces.
    fn go_sums(b: &[u8]) -> (i64, i64) {
        let (mut unsigned, mut signed) = (0i64, 0i64);
        for (i, &c) in b.iter().enumerate() {
            let c = if (148..156).contains(&i) { b' ' } else { c };
            unsigned += i64::from(c);
            signed += i64::from(c as i8);
        }
        (unsigned, signed)
    }

    /// The vectorised sums accept exactly the blocks Go's byte-by-byte sums accept: real
    /// headers, headers with high bytes (where the signed and unsigned sums differ), and
    /// corrupted ones.
    #[test]
    fn checksum_as_go_computes_it() {
        let mut x: u64 = 0x243f_6a88_85a3_08d3;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (mut accepted, mut rejected) = (0, 0);
        for i in 0..20_000 {
            let mut b = ustar(format!("f{i}").as_bytes(), b'0', next() % 4096);
            for _ in 0..(next() % 4) {
                let at = (next() % 512) as usize;
                b[at] = next() as u8;
            }
            if i % 3 == 0 {
                // A stored sum that holds for the bytes as they are now (unsigned or signed).
                let (u, s) = go_sums(&b);
                let v = if i % 2 == 0 { u } else { s };
                if v >= 0 {
                    b[148..156].copy_from_slice(format!("{v:06o}\0 ").as_bytes());
                }
            }
            let stored = parse_octal(&b[148..156]);
            let (u, s) = go_sums(&b);
            let want = stored.is_some_and(|v| v == u || v == s);
            assert_eq!(format_of(&b).is_some(), want, "block {i}");
            if want {
                accepted += 1;
            } else {
                rejected += 1;
            }
        }
        assert!(
            accepted > 5_000 && rejected > 5_000,
            "{accepted} {rejected}"
        );
    }

    fn pad(mut v: Vec<u8>) -> Vec<u8> {
        v.resize(v.len().div_ceil(BLOCK) * BLOCK, 0);
        v
    }

    #[test]
    fn pax_path_and_xattr_with_newline() {
        let recs = b"29 SCHILY.xattr.user.a=x\ny\nz\n18 path=real/name\n".to_vec();
        let data = [
            ustar(b"PaxHeaders/x", b'x', recs.len() as u64),
            pad(recs),
            ustar(b"short", b'0', 3),
        ]
        .concat();
        let (h, pad) = read_first(&data).unwrap().unwrap();
        assert_eq!(h.name, b"real/name");
        assert_eq!(h.pax[&b"SCHILY.xattr.user.a"[..]], b"x\ny\nz");
        assert_eq!((h.size, pad, h.mtime), (3, 509, Some((1, 0))));
    }

    #[test]
    fn ends_and_errors() {
        assert_eq!(read_first(b""), Ok(None));
        assert_eq!(read_first(&[0u8; 1024]), Ok(None));
        assert_eq!(read_first(&[0u8; 512]), Ok(None));
        assert_eq!(read_first(&[0u8; 100]), Err(HeaderError::UnexpectedEof));
        let mut bad = ustar(b"a", b'0', 0);
        bad[0] = b'b';
        assert!(matches!(
            read_first(&bad),
            Err(HeaderError::Invalid(InvalidHeader::Checksum))
        ));
        let long = ustar(b"L", b'L', 2 << 20);
        assert_eq!(
            read_first(&long),
            Err(HeaderError::FieldTooLong { size: 2 << 20 })
        );
        let trunc = ustar(b"L", b'L', 100);
        assert_eq!(read_first(&trunc), Err(HeaderError::UnexpectedEof));
        // An extension with nothing after it: Go's reader reports EOF, the segment is skipped.
        let alone = [ustar(b"L", b'L', 3), b"abc".to_vec()].concat();
        assert_eq!(read_first(&alone), Ok(None));
        // typeflag NUL: a regular file, or a directory with a trailing slash.
        let (h, _) = read_first(&ustar(b"d/", 0, 0)).unwrap().unwrap();
        assert_eq!(h.typeflag, b'5');
    }

    #[test]
    fn numeric_fields() {
        assert_eq!(parse_numeric(b"0000644\0"), Some(0o644));
        assert_eq!(parse_numeric(b"  17 \0"), Some(0o17));
        assert_eq!(parse_numeric(b"\0\0\0"), Some(0));
        assert_eq!(parse_numeric(b"9"), None);
        assert_eq!(parse_numeric(b"+7"), None);
        assert_eq!(parse_numeric(b"-7"), None);
        assert_eq!(parse_numeric(b"1_0"), None);
        assert_eq!(parse_numeric(b"7 7"), None);
        assert_eq!(parse_numeric(b"1777777777777777777777"), Some(-1));
        assert_eq!(parse_numeric(b"2000000000000000000000"), None);
        assert_eq!(
            parse_numeric(&[0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe]),
            Some(4_294_967_294)
        );
        assert_eq!(parse_numeric(&[0xff; 8]), Some(-1));
        assert_eq!(
            parse_numeric(&[0x80, 1, 0, 0, 0, 0, 0, 0, 0]),
            Some(1 << 56)
        );
        assert_eq!(parse_numeric(&[0x80, 1, 0, 0, 0, 0, 0, 0, 0, 0]), None);
    }
}
