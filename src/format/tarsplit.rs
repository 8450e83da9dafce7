//! The tar-split: the tar stream minus file contents, as JSON lines (vbatts/tar-split).
//!
//! It is what lets a partial pull rebuild the exact original tar and so prove the layer's DiffID.
//! We decode it to (a) compute the uncompressed tar size and (b) check that the TOC describes the
//! same files as the tar headers do, the 1:1 correspondence c/storage enforces since v1.55
//! ([`TarSplit::check_against`]). Headers are read from the segments alone, one per segment, as
//! containers/storage reads them ([`crate::format::tar_header`]); no file data is needed.

use crate::error::{Error, Result};
use crate::format::gofmt;
use crate::format::tar_header::{self, Header, UnixTime};
use crate::format::time::{is_unset, parse_rfc3339};
use crate::format::toc::{EntryType, Toc, TocEntry};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// One JSON line.
#[derive(Debug, Deserialize)]
struct Line {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    name_raw: Option<String>,
    #[serde(default)]
    size: i64,
    #[serde(default)]
    payload: Option<String>,
}

/// A piece of the reconstructed tar stream.
#[derive(Debug)]
enum Piece {
    /// Raw tar bytes (headers, padding, EOF blocks), verbatim.
    Segment(Vec<u8>),
    /// A file's content, which the tar-split does not carry (its size counts in `tar_size`).
    File { name: Vec<u8> },
}

/// A decoded tar-split.
#[derive(Debug)]
pub struct TarSplit {
    pieces: Vec<Piece>,
    /// Size of the uncompressed tar stream it describes (the layer's uncompressed size).
    pub tar_size: u64,
    /// Number of file (type 1) records: one per tar member.
    pub files: usize,
    /// Number of segment (type 2) records.
    pub segments: usize,
}

/// Parses the uncompressed tar-split JSON lines.
pub fn parse(data: &[u8]) -> Result<TarSplit> {
    let mut pieces = Vec::new();
    let (mut tar_size, mut files, mut segments) = (0u64, 0usize, 0usize);
    for (i, raw) in data.split(|&b| b == b'\n').enumerate() {
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let err = |m: String| Error::TarSplit(format!("line {}: {m}", i + 1));
        let line: Line = serde_json::from_slice(raw).map_err(|e| err(e.to_string()))?;
        let payload = match &line.payload {
            Some(p) => B64.decode(p).map_err(|e| err(format!("payload: {e}")))?,
            None => Vec::new(),
        };
        match line.kind {
            1 => {
                let name = match (&line.name, &line.name_raw) {
                    (Some(n), _) => n.as_bytes().to_vec(),
                    (None, Some(r)) => B64.decode(r).map_err(|e| err(format!("name_raw: {e}")))?,
                    (None, None) => return Err(err("file record without a name".into())),
                };
                let size = u64::try_from(line.size)
                    .map_err(|_| err(format!("negative size {}", line.size)))?;
                tar_size = tar_size
                    .checked_add(size)
                    .ok_or_else(|| err("tar size overflows".into()))?;
                files += 1;
                pieces.push(Piece::File { name });
            }
            2 => {
                tar_size = tar_size
                    .checked_add(payload.len() as u64)
                    .ok_or_else(|| err("tar size overflows".into()))?;
                segments += 1;
                pieces.push(Piece::Segment(payload));
            }
            t => return Err(err(format!("unknown record type {t}"))),
        }
    }
    Ok(TarSplit {
        pieces,
        tar_size,
        files,
        segments,
    })
}

/// How the TOC and the tar-split disagree about one entry, in containers/storage's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DifferenceKind {
    /// Two TOC entries (other than `chunk`s) with the same name.
    DuplicateInToc,
    /// A tar-split header with no TOC entry of exactly that name (byte for byte).
    MissingInToc,
    /// A TOC entry no tar-split header has.
    MissingInTarSplit,
    /// A tar header type containers/storage has no TOC type for.
    UnknownType,
    /// Same name, a different attribute (the first one that differs, see `field`).
    Mismatch,
    /// A segment that does not decode as a tar header, or lacks the previous file's padding.
    UnreadableHeader,
}

/// The attributes `ensureFileMetadataAttributesMatch` compares, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Field {
    Type,
    Linkname,
    Mode,
    Size,
    Uid,
    Gid,
    ModTime,
    AccessTime,
    ChangeTime,
    Devmajor,
    Devminor,
    Xattrs,
}

impl Field {
    /// In the order upstream compares them.
    pub const ALL: [Field; 12] = [
        Field::Type,
        Field::Linkname,
        Field::Mode,
        Field::Size,
        Field::Uid,
        Field::Gid,
        Field::ModTime,
        Field::AccessTime,
        Field::ChangeTime,
        Field::Devmajor,
        Field::Devminor,
        Field::Xattrs,
    ];

    /// The name upstream's message uses.
    fn go_name(self) -> &'static str {
        match self {
            Field::Type => "Type",
            Field::Linkname => "Linkname",
            Field::Mode => "Mode",
            Field::Size => "Size",
            Field::Uid => "UID",
            Field::Gid => "GID",
            Field::ModTime => "ModTime",
            Field::AccessTime => "AccessTime",
            Field::ChangeTime => "ChangeTime",
            Field::Devmajor => "Devmajor",
            Field::Devminor => "Devminor",
            Field::Xattrs => "Xattrs",
        }
    }
}

/// One difference between the TOC and the tar-split: one per entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    pub kind: DifferenceKind,
    /// The entry's name as Go's `%q` prints it (invalid UTF-8 bytes as `\xNN`).
    pub path: String,
    /// For `mismatch`: the first attribute that differs.
    pub field: Option<Field>,
    /// The error containers/storage returns for this entry (without the
    /// `tar-split and TOC data is inconsistent: ` prefix).
    pub message: String,
    /// What chunkscope knows about the cause, when it knows more than the message says.
    pub note: Option<String>,
}

/// The outcome of comparing the TOC with the tar headers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Correspondence {
    pub tar_members: usize,
    pub toc_entries: usize,
    /// The differences, in the order containers/storage would meet them. Capped at
    /// [`MAX_PROBLEMS`].
    pub differences: Vec<Difference>,
    /// `differences` as one line each (message and note).
    pub problems: Vec<String>,
    /// How many differences were found in total (may exceed `differences.len()`).
    pub problem_count: usize,
    /// The error the reference check (`ensureTOCMatchesTarSplit`) returns: its first failure.
    pub first_error: Option<String>,
    /// chunkscope's own check, not part of containers/storage's: tar-split file records whose
    /// name differs from the header before them (`asm` looks file contents up by that name).
    pub record_mismatches: Vec<String>,
    pub record_mismatch_count: usize,
}

pub const MAX_PROBLEMS: usize = 20;

impl Correspondence {
    pub fn ok(&self) -> bool {
        self.problem_count == 0
    }
    fn push(&mut self, d: Difference) {
        self.problem_count += 1;
        if self.first_error.is_none() {
            self.first_error = Some(d.message.clone());
        }
        if self.differences.len() < MAX_PROBLEMS {
            self.problems.push(match &d.note {
                Some(n) => format!("{} ({n})", d.message),
                None => d.message.clone(),
            });
            self.differences.push(d);
        }
    }
}

/// The TOC type name of a tar typeflag (containers/storage `minimal.GetType`).
fn toc_type(flag: u8) -> Option<EntryType> {
    Some(match flag {
        b'0' => EntryType::Reg,
        b'1' => EntryType::Hardlink,
        b'2' => EntryType::Symlink,
        b'3' => EntryType::Char,
        b'4' => EntryType::Block,
        b'5' => EntryType::Dir,
        b'6' => EntryType::Fifo,
        _ => return None,
    })
}

/// A time as `ensureTimePointersMatch` sees it: Go's zero time and the Unix epoch are "none".
fn norm_time(t: Option<UnixTime>) -> Option<UnixTime> {
    t.filter(|t| !is_unset(Some(*t)))
}

fn show_time(t: Option<UnixTime>) -> String {
    t.map_or_else(|| "nil".into(), |(s, n)| gofmt::time(s, n))
}

const XATTR_PREFIX: &[u8] = b"SCHILY.xattr.";

impl TarSplit {
    /// The tar headers, one per segment, as `asm.IterateHeaders` reads them (segments that end
    /// the archive yield none). Stops at the first segment that does not decode.
    pub fn headers(&self) -> Vec<Result<Header, String>> {
        let mut out = Vec::new();
        let mut pending = 0usize;
        for p in &self.pieces {
            let Piece::Segment(payload) = p else { continue };
            let Some(payload) = payload.get(pending..) else {
                out.push(Err(format!("expected {pending} bytes of padding")));
                break;
            };
            match tar_header::read_first(payload) {
                Ok(Some((h, pad))) => {
                    pending = usize::try_from(pad).unwrap_or(usize::MAX);
                    out.push(Ok(h));
                }
                Ok(None) => pending = 0,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    break;
                }
            }
        }
        out
    }

    /// containers/storage 1.57.2's `ensureTOCMatchesTarSplit` (`pkg/chunked/compression_linux.go`):
    /// every tar-split header (read as `asm.IterateHeaders` reads them, see
    /// [`crate::format::tar_header`]) must have a TOC entry of exactly its name (no path
    /// cleaning, raw bytes), whose attributes equal `minimal.NewFileMetadata(hdr)` as
    /// `ensureFileMetadataAttributesMatch` compares them: type, linkname, mode, size, uid, gid,
    /// mtime, atime, ctime (Go's zero time and the epoch count as absent), devmajor, devminor,
    /// and the xattrs (`SCHILY.xattr.*` PAX records, base64, compared as strings); then no TOC
    /// entry may be left over, and no two TOC entries may share a name. Digests, offsets and
    /// chunk fields are not compared, nor are tar-split file records.
    ///
    /// Upstream stops at the first difference; this reports every entry's first difference,
    /// one per entry, and `first_error` is the one upstream returns. A tar name that is not
    /// UTF-8 has no TOC entry of the same bytes (the TOC writer's JSON encoder turned the
    /// invalid bytes into U+FFFD): that is one `missing-in-toc` difference, and the TOC entry
    /// holding the replaced name is not reported again.
    pub fn check_against(&self, toc: &Toc) -> Correspondence {
        let mut c = Correspondence::default();
        let mut pending: HashMap<&[u8], usize> = HashMap::new();
        for (i, e) in toc
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind != EntryType::Chunk)
        {
            c.toc_entries += 1;
            // The first entry of a name stays (upstream stops at the duplicate anyway).
            if pending.contains_key(e.name.as_bytes()) {
                c.push(Difference {
                    kind: DifferenceKind::DuplicateInToc,
                    path: gofmt::quote(e.name.as_bytes()),
                    field: None,
                    message: format!(
                        "TOC contains duplicate entries for path {}",
                        gofmt::quote(e.name.as_bytes())
                    ),
                    note: None,
                });
            } else {
                pending.insert(e.name.as_bytes(), i);
            }
        }
        let mut pending_padding = 0u64;
        let mut unreadable = false;
        for (pi, piece) in self.pieces.iter().enumerate() {
            let Piece::Segment(payload) = piece else {
                continue;
            };
            let Some(payload) = usize::try_from(pending_padding)
                .ok()
                .and_then(|p| payload.get(p..))
            else {
                c.push(Difference {
                    kind: DifferenceKind::UnreadableHeader,
                    path: String::new(),
                    field: None,
                    message: format!("expected {pending_padding} bytes of padding after previous file, but next SegmentType only has {} bytes", payload.len()),
                    note: None,
                });
                unreadable = true;
                break;
            };
            pending_padding = 0;
            let (hdr, pad) = match tar_header::read_first(payload) {
                Ok(Some(h)) => h,
                Ok(None) => continue,
                Err(e) => {
                    c.push(Difference {
                        kind: DifferenceKind::UnreadableHeader,
                        path: String::new(),
                        field: None,
                        message: format!("decoding a tar header from a tar-split entry: {e}"),
                        note: Some(e.detail()),
                    });
                    unreadable = true;
                    break;
                }
            };
            pending_padding = pad;
            c.tar_members += 1;
            if let Some(Piece::File { name, .. }) = self.pieces.get(pi + 1) {
                if *name != hdr.name {
                    c.record_mismatch_count += 1;
                    if c.record_mismatches.len() < MAX_PROBLEMS {
                        c.record_mismatches.push(format!(
                            "header {} is followed by the file record {}",
                            gofmt::quote(&hdr.name),
                            gofmt::quote(name)
                        ));
                    }
                }
            }
            let path = gofmt::quote(&hdr.name);
            let Some(i) = pending.remove(hdr.name.as_slice()) else {
                let lossy = gofmt::json_lossy(&hdr.name);
                let note = if lossy.as_bytes() != hdr.name.as_slice()
                    && pending.remove(lossy.as_bytes()).is_some()
                {
                    Some(format!(
                        "the name is not UTF-8; the TOC has it as {}: its writer's JSON encoder replaced each invalid byte with U+FFFD, while the tar-split keeps the raw bytes",
                        gofmt::quote(lossy.as_bytes())
                    ))
                } else {
                    None
                };
                c.push(Difference {
                    kind: DifferenceKind::MissingInToc,
                    message: format!("tar-split contains an entry for {path} missing in TOC"),
                    path,
                    field: None,
                    note,
                });
                continue;
            };
            if let Some(d) = compare_entry(&toc.entries[i], &hdr, &path) {
                c.push(d);
            }
        }
        if !unreadable {
            let mut left: Vec<&[u8]> = pending.keys().copied().collect();
            left.sort();
            let incl = gofmt::quote_list(left.iter().take(5).copied());
            for name in left {
                c.push(Difference {
                    kind: DifferenceKind::MissingInTarSplit,
                    path: gofmt::quote(name),
                    field: None,
                    message: format!("TOC contains entries not present in tar-split, incl. {incl}"),
                    note: None,
                });
            }
        }
        c
    }
}

/// The first attribute that differs, as `ensureFileMetadataAttributesMatch` reports it
/// (`a` is the TOC entry, `b` the one built from the tar header).
fn compare_entry(t: &TocEntry, h: &Header, path: &str) -> Option<Difference> {
    let Some(kind) = toc_type(h.typeflag) else {
        return Some(Difference {
            kind: DifferenceKind::UnknownType,
            path: path.to_string(),
            field: None,
            message: format!(
                "determining expected metadata for {path}: unknown tarball type: {}",
                h.typeflag
            ),
            note: None,
        });
    };
    let q = |s: &[u8]| gofmt::quote(s);
    let n = |a: u64, b: i64| {
        (i128::from(a) != i128::from(b)).then(|| (gofmt::quote_int(a as i64), gofmt::quote_int(b)))
    };
    let time = |a: Option<&str>, b: Option<UnixTime>| {
        let a = norm_time(a.and_then(parse_rfc3339));
        let b = norm_time(b);
        (a != b).then(|| (show_time(a), show_time(b)))
    };
    let tar_xattrs: BTreeMap<Vec<u8>, String> = h
        .pax
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(XATTR_PREFIX)
                .map(|x| (x.to_vec(), B64.encode(v)))
        })
        .collect();
    let toc_xattrs: BTreeMap<Vec<u8>, String> = t
        .xattrs
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.clone()))
        .collect();
    let xmap = |m: &BTreeMap<Vec<u8>, String>| {
        let parts: Vec<String> = m
            .iter()
            .map(|(k, v)| format!("{}:{}", q(k), q(v.as_bytes())))
            .collect();
        format!("map[{}]", parts.join(" "))
    };
    let diff = |field: Field| -> Option<(String, String)> {
        match field {
            Field::Type => (t.kind != kind)
                .then(|| (q(t.kind.as_str().as_bytes()), q(kind.as_str().as_bytes()))),
            Field::Linkname => (t.link_name.as_bytes() != h.linkname.as_slice())
                .then(|| (q(t.link_name.as_bytes()), q(&h.linkname))),
            Field::Mode => n(t.mode, h.mode),
            Field::Size => n(t.size, h.size),
            Field::Uid => n(t.uid, h.uid),
            Field::Gid => n(t.gid, h.gid),
            Field::ModTime => time(t.modtime.as_deref(), h.mtime),
            Field::AccessTime => time(t.accesstime.as_deref(), h.atime),
            Field::ChangeTime => time(t.changetime.as_deref(), h.ctime),
            Field::Devmajor => n(t.dev_major, h.devmajor),
            Field::Devminor => n(t.dev_minor, h.devminor),
            Field::Xattrs => {
                (toc_xattrs != tar_xattrs).then(|| (xmap(&toc_xattrs), xmap(&tar_xattrs)))
            }
        }
    };
    Field::ALL.into_iter().find_map(|field| {
        let (a, b) = diff(field)?;
        Some(Difference {
            kind: DifferenceKind::Mismatch,
            path: path.to_string(),
            field: Some(field),
            message: format!(
                "TOC and tar-split metadata doesn\u{2019}t match: mismatch of {}: {a} != {b}",
                field.go_name()
            ),
            note: None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_errors() {
        let ts = parse(b"{\"type\":2,\"payload\":\"AAAA\",\"position\":0}\n{\"type\":1,\"name\":\"a\",\"size\":10,\"payload\":null,\"position\":1}\n").unwrap();
        assert_eq!((ts.tar_size, ts.files, ts.segments), (13, 1, 1));
        for bad in [
            &b"{\"type\":3}"[..],
            b"{\"type\":1,\"size\":1}",
            b"{\"type\":2,\"payload\":\"!!\"}",
            b"not json",
            b"{\"type\":1,\"name\":\"a\",\"size\":-5}",
        ] {
            assert!(
                matches!(parse(bad), Err(Error::TarSplit(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn header_data_claimed_from_file_content_is_unreadable() {
        // A GNU long-name header announcing 200 bytes, whose "data" would be a file record's
        // content: the segment alone ends inside the extension, as upstream reads it.
        let mut h = vec![0u8; 512];
        h[0] = b'x';
        h[100..107].copy_from_slice(b"0000644");
        h[124..135].copy_from_slice(b"00000000310");
        h[156] = b'L';
        h[257..263].copy_from_slice(b"ustar ");
        h[263..265].copy_from_slice(b" \0");
        h[148..156].fill(b' ');
        let sum: u32 = h.iter().map(|&c| u32::from(c)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        let seg = B64.encode(&h);
        let lines = format!(
            "{{\"type\":2,\"payload\":\"{seg}\"}}\n{{\"type\":1,\"name\":\"x\",\"size\":200}}\n"
        );
        let ts = parse(lines.as_bytes()).unwrap();
        let c = ts.check_against(&Toc::default());
        assert_eq!(c.differences[0].kind, DifferenceKind::UnreadableHeader);
        assert_eq!(
            c.first_error.as_deref(),
            Some("decoding a tar header from a tar-split entry: unexpected EOF")
        );
    }

    /// A ustar header block with a valid checksum.
    fn block(name: &str, flag: u8, mode: &str) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(mode.as_bytes());
        h[124..135].copy_from_slice(b"00000000000");
        h[136..147].copy_from_slice(b"00000000001");
        h[156] = flag;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].fill(b' ');
        let sum: u32 = h.iter().map(|&c| u32::from(c)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        h
    }

    fn split_of(blocks: &[Vec<u8>]) -> TarSplit {
        let mut lines = String::new();
        for b in blocks {
            lines += &format!("{{\"type\":2,\"payload\":\"{}\"}}\n", B64.encode(b));
            lines += &format!("{{\"type\":1,\"name\":\"{}\",\"size\":0}}\n", "x");
        }
        lines += &format!(
            "{{\"type\":2,\"payload\":\"{}\"}}\n",
            B64.encode([0u8; 1024])
        );
        parse(lines.as_bytes()).unwrap()
    }

    fn entry(kind: EntryType, name: &str, mode: u64) -> TocEntry {
        TocEntry {
            kind,
            name: name.into(),
            mode,
            modtime: Some("1970-01-01T00:00:01Z".into()),
            ..TocEntry::default()
        }
    }

    #[test]
    fn upstream_messages() {
        let ts = split_of(&[block("a", b'0', "0000644"), block("c", b'7', "0000644")]);
        let toc = Toc {
            entries: vec![
                entry(EntryType::Reg, "a", 0o600),
                entry(EntryType::Reg, "a", 0o644),
                entry(EntryType::Reg, "b", 0o644),
                entry(EntryType::Reg, "c", 0o644),
            ],
            ..Toc::default()
        };
        let c = ts.check_against(&toc);
        let got: Vec<(DifferenceKind, &str)> = c
            .differences
            .iter()
            .map(|d| (d.kind, d.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    DifferenceKind::DuplicateInToc,
                    "TOC contains duplicate entries for path \"a\""
                ),
                (
                    DifferenceKind::Mismatch,
                    "TOC and tar-split metadata doesn\u{2019}t match: mismatch of Mode: '\u{180}' != '\u{1a4}'"
                ),
                (
                    DifferenceKind::UnknownType,
                    "determining expected metadata for \"c\": unknown tarball type: 55"
                ),
                (
                    DifferenceKind::MissingInTarSplit,
                    "TOC contains entries not present in tar-split, incl. [\"b\"]"
                ),
            ]
        );
        assert_eq!(c.differences[1].field, Some(Field::Mode));
        assert_eq!(c.first_error.as_deref(), Some(got[0].1));
        // The records are named "x", not as their headers: chunkscope's own check sees it.
        assert_eq!(c.record_mismatch_count, 2);
    }
}
