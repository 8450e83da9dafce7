//! PAX extended-header records (POSIX.1-2001 `x` headers), read as Go's `archive/tar` reads them.
//!
//! A record is `"%d %s=%s\n"`, its decimal length counting the whole record (the length digits,
//! the space and the newline included). Values are arbitrary bytes: an xattr value
//! (`SCHILY.xattr.*`) may contain newlines, NULs, `=` or text that looks like another record, so
//! records must be cut by their length and never split on newlines. The rules follow
//! `parsePAXRecord`, `validPAXRecord` and `parsePAXTime` of vbatts/tar-split v0.11.7
//! `archive/tar/strconv.go` (a fork of Go's `archive/tar`, what containers/storage 1.57.2 reads
//! tar-split headers with). Every read is bounds-checked; nothing here panics.

use std::fmt;

/// `path`, `linkpath`, `uname`, `gname`: values that may not contain NUL.
const NUL_FREE_VALUES: [&[u8]; 4] = [b"path", b"linkpath", b"uname", b"gname"];

/// Why a PAX record could not be read. `at` is the record's byte offset in the header data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaxError {
    /// No space after the length digits.
    NoLength {
        /// The record's byte offset in the header data.
        at: usize,
    },
    /// The length is not a decimal integer, is under 5, or runs past the data.
    BadLength {
        /// The record's byte offset in the header data.
        at: usize,
        /// The length field as found.
        length: String,
    },
    /// The byte at the record's end is not a newline.
    NoNewline {
        /// The record's byte offset in the header data.
        at: usize,
    },
    /// The record has no `=`.
    NoEquals {
        /// The record's byte offset in the header data.
        at: usize,
    },
    /// An empty key, or a NUL where the format forbids it.
    InvalidRecord {
        /// The record's byte offset in the header data.
        at: usize,
    },
}

impl fmt::Display for PaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaxError::NoLength { at } => write!(f, "PAX record at byte {at}: no length field"),
            PaxError::BadLength { at, length } => {
                write!(f, "PAX record at byte {at}: bad length {length:?}")
            }
            PaxError::NoNewline { at } => {
                write!(f, "PAX record at byte {at}: does not end with a newline")
            }
            PaxError::NoEquals { at } => write!(f, "PAX record at byte {at}: no '='"),
            PaxError::InvalidRecord { at } => {
                write!(f, "PAX record at byte {at}: empty key or forbidden NUL")
            }
        }
    }
}

impl std::error::Error for PaxError {}

/// One record: key and value, raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaxRecord<'a> {
    /// The key, without the `=`.
    pub key: &'a [u8],
    /// The value, without the trailing newline.
    pub value: &'a [u8],
}

/// Splits PAX header data into its records, in order, each cut by its length prefix. Like Go's
/// `parsePAX`, any malformed record fails the whole header.
pub fn parse_records(data: &[u8]) -> Result<Vec<PaxRecord<'_>>, PaxError> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < data.len() {
        let rest = &data[at..];
        let sp = rest
            .iter()
            .position(|&b| b == b' ')
            .ok_or(PaxError::NoLength { at })?;
        let digits = &rest[..sp];
        let bad = || PaxError::BadLength {
            at,
            length: String::from_utf8_lossy(digits).into_owned(),
        };
        let n: i64 = std::str::from_utf8(digits)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)?;
        let n = usize::try_from(n).map_err(|_| bad())?;
        if n < 5 || rest.len() < n || n <= sp + 1 {
            return Err(bad());
        }
        if rest[n - 1] != b'\n' {
            return Err(PaxError::NoNewline { at });
        }
        let rec = &rest[sp + 1..n - 1];
        let eq = rec
            .iter()
            .position(|&b| b == b'=')
            .ok_or(PaxError::NoEquals { at })?;
        let (key, value) = (&rec[..eq], &rec[eq + 1..]);
        let valid = !key.is_empty()
            && if NUL_FREE_VALUES.contains(&key) {
                !value.contains(&0)
            } else {
                !key.contains(&0)
            };
        if !valid {
            return Err(PaxError::InvalidRecord { at });
        }
        out.push(PaxRecord { key, value });
        at += n;
    }
    Ok(out)
}

/// A PAX time (`mtime`, `atime`, `ctime`): decimal seconds with an optional fraction, as Unix
/// (seconds, nanoseconds) with nanoseconds in 0..1e9, i.e. floored: `-315619200.25` is
/// (-315619201, 750000000). Go's `parsePAXTime`: at most 9 fraction digits are kept (more are
/// truncated), a leading `-` makes the fraction negative too. `None` when malformed.
pub fn parse_time(v: &[u8]) -> Option<(i64, u32)> {
    let s = std::str::from_utf8(v).ok()?;
    let (ss, sn) = s.split_once('.').unwrap_or((s, ""));
    let secs: i64 = ss.parse().ok()?;
    if sn.is_empty() {
        return Some((secs, 0));
    }
    if !sn.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut nanos = 0i64;
    for i in 0..9 {
        nanos = nanos * 10 + sn.as_bytes().get(i).map_or(0, |c| i64::from(c - b'0'));
    }
    if ss.starts_with('-') {
        nanos = -nanos;
    }
    // time.Unix(secs, nanos) normalises nanos into [0, 1e9).
    let total = i128::from(secs) * 1_000_000_000 + i128::from(nanos);
    let s = i64::try_from(total.div_euclid(1_000_000_000)).ok()?;
    Some((s, total.rem_euclid(1_000_000_000) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(k: &str, v: &[u8]) -> Vec<u8> {
        let body = [k.as_bytes(), b"=", v, b"\n"].concat();
        let mut n = body.len() + 2;
        while format!("{n} ").len() + body.len() != n {
            n += 1;
        }
        [format!("{n} ").into_bytes(), body].concat()
    }

    #[test]
    fn values_with_newlines_and_record_lookalikes_stay_whole() {
        let nl: Vec<u8> = (0u8..32).collect();
        let data = [
            rec("SCHILY.xattr.user.bin", &nl),
            rec("SCHILY.xattr.user.fake", b"x\n49 path=not/a/file\n"),
            rec("path", b"real/path"),
        ]
        .concat();
        let r = parse_records(&data).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].value, nl.as_slice());
        assert_eq!(r[1].value, b"x\n49 path=not/a/file\n");
        assert_eq!((r[2].key, r[2].value), (&b"path"[..], &b"real/path"[..]));
    }

    #[test]
    fn malformed_records() {
        for (bad, want) in [
            (&b"12path=x\n"[..], "NoLength"),
            (b"3 a=\n", "BadLength"),
            (b"99 path=x\n", "BadLength"),
            (b"x path=x\n", "BadLength"),
            (b"-9 path=x\n", "BadLength"),
            (b"9 path=xx", "NoNewline"),
            (b"9 pathxx\n", "NoEquals"),
            (b"6 =xx\n", "InvalidRecord"),
            (b"12 path=a\0b\n", "InvalidRecord"),
            (b"5  \n", "BadLength"),
        ] {
            let e = parse_records(bad).unwrap_err();
            assert!(format!("{e:?}").starts_with(want), "{bad:?}: {e:?}");
        }
        // NUL is allowed in xattr values, not in their keys.
        assert!(parse_records(&rec("SCHILY.xattr.a", b"\0")).is_ok());
        assert!(parse_records(&rec("SCHILY.xattr.\0", b"x")).is_err());
    }

    #[test]
    fn pax_times_floor() {
        assert_eq!(
            parse_time(b"1700000000.5"),
            Some((1_700_000_000, 500_000_000))
        );
        assert_eq!(parse_time(b"12"), Some((12, 0)));
        assert_eq!(
            parse_time(b"-315619200.25"),
            Some((-315_619_201, 750_000_000))
        );
        assert_eq!(parse_time(b"-0.5"), Some((-1, 500_000_000)));
        assert_eq!(parse_time(b"-7"), Some((-7, 0)));
        assert_eq!(parse_time(b"1.1234567899"), Some((1, 123_456_789)));
        for bad in [&b"x"[..], b"1.x", b"", b".5", b"1.-5"] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }
}
