//! Go's text forms, so that chunkscope can quote the reference puller's error messages exactly:
//! `%q` of a string (`strconv.Quote`, invalid UTF-8 bytes as `\xNN`), `%q` of an integer (a
//! quoted rune, as `fmt` prints it), `%q` of a `map[string]string` and of a `[]string`, `%v` of
//! a `time.Time` (in UTC), and the U+FFFD replacement Go's JSON encoder applies to invalid
//! UTF-8 (one U+FFFD per invalid byte).
//!
//! One approximation: Go's `unicode.IsPrint` uses the Unicode tables; here a character is
//! printable unless it is a control, a space other than U+0020, a format character from the
//! usual list, a private-use character or a noncharacter (unassigned code points, which Go
//! escapes, are printed as they are).

use std::fmt::Write as _;

/// Go's `strconv.Quote` of a byte string.
pub fn quote(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut rest = s;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                valid.chars().for_each(|c| escape(&mut out, c, '"'));
                break;
            }
            Err(e) => {
                let (valid, bad) = rest.split_at(e.valid_up_to());
                // The prefix is valid UTF-8 by construction.
                String::from_utf8_lossy(valid)
                    .chars()
                    .for_each(|c| escape(&mut out, c, '"'));
                let _ = write!(out, "\\x{:02x}", bad[0]);
                rest = &bad[1..];
            }
        }
    }
    out.push('"');
    out
}

/// `%q` of an integer: a quoted rune (`'ǭ'` for 493), U+FFFD when it is not a code point.
pub fn quote_int(v: i64) -> String {
    let c = u32::try_from(v)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{fffd}');
    let mut out = String::from("'");
    escape(&mut out, c, '\'');
    out.push('\'');
    out
}

/// `%q` of a `map[string]string`: `map["k":"v" …]`, keys sorted.
pub fn quote_map<'a>(m: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut kv: Vec<_> = m.into_iter().collect();
    kv.sort();
    let parts: Vec<String> = kv
        .iter()
        .map(|(k, v)| format!("{}:{}", quote(k.as_bytes()), quote(v.as_bytes())))
        .collect();
    format!("map[{}]", parts.join(" "))
}

/// `%q` of a `[]string`: `["a" "b"]`.
pub fn quote_list<'a>(l: impl IntoIterator<Item = &'a [u8]>) -> String {
    let parts: Vec<String> = l.into_iter().map(quote).collect();
    format!("[{}]", parts.join(" "))
}

/// `%v` of a `time.Time` in UTC: `2006-01-02 15:04:05.5 +0000 UTC`.
pub fn time(secs: i64, nanos: u32) -> String {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push_str(" +0000 UTC");
    s
}

/// What Go's JSON encoder writes for a byte string: each byte that is not part of valid UTF-8
/// becomes U+FFFD (Rust's `from_utf8_lossy` may merge several into one).
pub fn json_lossy(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(v) => {
                out.push_str(v);
                break;
            }
            Err(e) => {
                let (valid, bad) = rest.split_at(e.valid_up_to());
                out.push_str(&String::from_utf8_lossy(valid));
                out.push('\u{fffd}');
                rest = &bad[1..];
            }
        }
    }
    out
}

fn escape(out: &mut String, c: char, quote: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        c if c == quote => {
            out.push('\\');
            out.push(c);
        }
        c if printable(c) => out.push(c),
        '\u{07}' => out.push_str("\\a"),
        '\u{08}' => out.push_str("\\b"),
        '\u{0c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{0b}' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c == '\u{7f}' => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if (c as u32) < 0x10000 => {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\U{:08x}", c as u32);
        }
    }
}

fn printable(c: char) -> bool {
    let u = c as u32;
    if c == ' ' {
        return true;
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(u, 0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e
            | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f
            | 0xfeff | 0xfff9..=0xfffb | 0xe0001 | 0xe0020..=0xe007f)
        || (0xe000..=0xf8ff).contains(&u)
        || u >= 0xf0000
        || (0xfdd0..=0xfdef).contains(&u)
        || u & 0xfffe == 0xfffe)
}

// Howard Hinnant's civil_from_days.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_quote() {
        assert_eq!(
            quote(b"corners/names/latin1-caf\xe9-\xff\xfe-ustar"),
            r#""corners/names/latin1-caf\xe9-\xff\xfe-ustar""#
        );
        assert_eq!(
            quote("日本 ☃\n\t\"\\\u{7f}\u{200b}".as_bytes()),
            r#""日本 ☃\n\t\"\\\x7f\u200b""#
        );
        assert_eq!(quote(b"\xe6\x97"), r#""\xe6\x97""#);
        assert_eq!(quote_int(0o755), "'ǭ'");
        assert_eq!(quote_int(0), r"'\x00'");
        assert_eq!(quote_int(-1), "'\u{fffd}'");
        assert_eq!(quote_int(39), r"'\''");
        assert_eq!(
            quote_map([("user.b", "Yg=="), ("user.a", "")]),
            r#"map["user.a":"" "user.b":"Yg=="]"#
        );
        assert_eq!(quote_list([&b"a"[..], b"b"]), r#"["a" "b"]"#);
        assert_eq!(json_lossy(b"a\xe6\x97b\xff"), "a\u{fffd}\u{fffd}b\u{fffd}");
    }

    #[test]
    fn go_time() {
        assert_eq!(time(0, 0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(
            time(-315_619_201, 750_000_000),
            "1959-12-31 23:59:59.75 +0000 UTC"
        );
        assert_eq!(time(253_402_214_400, 0), "9999-12-31 00:00:00 +0000 UTC");
    }
}
