//! The tar-split: the tar stream minus file contents, as JSON lines (vbatts/tar-split).
//!
//! It is what lets a partial pull rebuild the exact original tar and so prove the layer's DiffID.
//! We decode it to (a) compute the uncompressed tar size and (b) check that the TOC describes the
//! same files as the tar headers do, the 1:1 correspondence c/storage enforces since v1.55.
//! Headers are parsed by the `tar` crate from a virtual tar stream in which every file's content
//! is zeros, so no file data is needed and none is allocated.

use crate::error::{Error, Result};
use crate::format::time::{is_unset, parse_rfc3339};
use crate::format::toc::{EntryType, Toc};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::Deserialize;
use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom};

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
    /// A file's content: `size` bytes that the tar-split does not carry.
    File { name: Vec<u8>, size: u64 },
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
                pieces.push(Piece::File { name, size });
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

/// The outcome of comparing the TOC with the tar headers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Correspondence {
    pub tar_members: usize,
    pub toc_entries: usize,
    /// Human-readable differences; empty when the two agree. Capped at [`MAX_PROBLEMS`].
    pub problems: Vec<String>,
    /// How many problems were found in total (may exceed `problems.len()`).
    pub problem_count: usize,
    /// The error the reference check (`ensureTOCMatchesTarSplit`) returns: its first failure.
    pub first_error: Option<String>,
}

pub const MAX_PROBLEMS: usize = 20;

impl Correspondence {
    pub fn ok(&self) -> bool {
        self.problem_count == 0
    }
    fn push(&mut self, p: String) {
        self.problem_count += 1;
        if self.first_error.is_none() {
            self.first_error = Some(p.clone());
        }
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        }
    }
}

impl TarSplit {
    /// Checks the 1:1 correspondence between the TOC's non-chunk entries and the tar members:
    /// same names (no duplicates), and equal type, link target, mode, size, uid, gid, modification
    /// time, device numbers and xattrs.
    pub fn check_against(&self, toc: &Toc) -> Result<Correspondence> {
        let mut c = Correspondence::default();
        let mut by_name: HashMap<&[u8], usize> = HashMap::new();
        for (i, e) in toc
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind != EntryType::Chunk)
        {
            c.toc_entries += 1;
            if by_name.insert(e.name.as_bytes(), i).is_some() {
                c.push(format!("{:?}: duplicate name in the TOC", e.name));
            }
        }
        let mut seen = vec![false; toc.entries.len()];
        let mut record_names = self.pieces.iter().filter_map(|p| match p {
            Piece::File { name, .. } => Some(name.as_slice()),
            Piece::Segment(_) => None,
        });
        let mut archive = tar::Archive::new(VirtualTar::new(&self.pieces));
        let entries = archive
            .entries_with_seek()
            .map_err(|e| Error::TarSplit(e.to_string()))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| Error::TarSplit(format!("tar header: {e}")))?;
            c.tar_members += 1;
            let name = entry.path_bytes().into_owned();
            let shown = String::from_utf8_lossy(&name).into_owned();
            match record_names.next() {
                Some(r) if r == name.as_slice() => {}
                r => c.push(format!(
                    "{shown:?}: tar header {} does not match the tar-split file record {:?}",
                    c.tar_members,
                    r.map(String::from_utf8_lossy)
                )),
            }
            let Some(&i) = by_name.get(name.as_slice()) else {
                c.push(format!("{shown:?}: in the tar-split but not in the TOC"));
                continue;
            };
            seen[i] = true;
            let t = &toc.entries[i];
            let h = entry.header().clone();
            let link = entry
                .link_name_bytes()
                .map(|l| l.into_owned())
                .unwrap_or_default();
            let mut pax_mtime = None;
            let mut xattrs: Vec<(String, Vec<u8>)> = Vec::new();
            if let Ok(Some(pax)) = entry.pax_extensions() {
                for ext in pax.flatten() {
                    let Ok(key) = ext.key() else { continue };
                    if key == "mtime" {
                        pax_mtime = ext.value().ok().map(str::to_string);
                    } else if let Some(x) = key.strip_prefix("SCHILY.xattr.") {
                        xattrs.push((x.to_string(), ext.value_bytes().to_vec()));
                    }
                }
            }
            let kind = match h.entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => Some(EntryType::Reg),
                tar::EntryType::Directory => Some(EntryType::Dir),
                tar::EntryType::Symlink => Some(EntryType::Symlink),
                tar::EntryType::Link => Some(EntryType::Hardlink),
                tar::EntryType::Char => Some(EntryType::Char),
                tar::EntryType::Block => Some(EntryType::Block),
                tar::EntryType::Fifo => Some(EntryType::Fifo),
                _ => None,
            };
            let mut diff = |field: &str, toc_v: String, tar_v: String| {
                if toc_v != tar_v {
                    c.push(format!(
                        "{shown:?}: {field} differs: TOC {toc_v}, tar {tar_v}"
                    ));
                }
            };
            diff(
                "type",
                t.kind.as_str().into(),
                kind.map(|k| k.as_str().to_string())
                    .unwrap_or_else(|| format!("{:?}", h.entry_type())),
            );
            diff(
                "linkName",
                format!("{:?}", t.link_name),
                format!("{:?}", String::from_utf8_lossy(&link)),
            );
            diff(
                "mode",
                format!("{:o}", t.mode),
                h.mode()
                    .map(|m| format!("{m:o}"))
                    .unwrap_or_else(|e| e.to_string()),
            );
            diff(
                "size",
                t.size.to_string(),
                h.size()
                    .map(|s| s.to_string())
                    .unwrap_or_else(|e| e.to_string()),
            );
            diff(
                "uid",
                t.uid.to_string(),
                h.uid()
                    .map(|s| s.to_string())
                    .unwrap_or_else(|e| e.to_string()),
            );
            diff(
                "gid",
                t.gid.to_string(),
                h.gid()
                    .map(|s| s.to_string())
                    .unwrap_or_else(|e| e.to_string()),
            );
            if matches!(t.kind, EntryType::Char | EntryType::Block) {
                let dev = |r: io::Result<Option<u32>>| r.ok().flatten().unwrap_or(0).to_string();
                diff("devMajor", t.dev_major.to_string(), dev(h.device_major()));
                diff("devMinor", t.dev_minor.to_string(), dev(h.device_minor()));
            }
            let toc_time = t.modtime.as_deref().and_then(parse_rfc3339);
            let tar_time = match &pax_mtime {
                Some(v) => parse_pax_time(v),
                None => h.mtime().ok().map(|s| (s as i64, 0)),
            };
            if !(is_unset(toc_time) && is_unset(tar_time)) && toc_time != tar_time {
                diff("modtime", format!("{toc_time:?}"), format!("{tar_time:?}"));
            }
            let mut toc_x: Vec<(String, Vec<u8>)> = Vec::new();
            for (k, v) in &t.xattrs {
                match B64.decode(v) {
                    Ok(b) => toc_x.push((k.clone(), b)),
                    Err(_) => c.push(format!("{shown:?}: xattr {k:?} is not base64 in the TOC")),
                }
            }
            xattrs.sort();
            toc_x.sort();
            if toc_x != xattrs {
                c.push(format!(
                    "{shown:?}: xattrs differ: TOC has {} , tar has {}",
                    toc_x.len(),
                    xattrs.len()
                ));
            }
        }
        for (i, e) in toc.entries.iter().enumerate() {
            if e.kind != EntryType::Chunk && !seen[i] && by_name.get(e.name.as_bytes()) == Some(&i)
            {
                c.push(format!("{:?}: in the TOC but not in the tar-split", e.name));
            }
        }
        if c.tar_members != self.files {
            c.push(format!(
                "tar headers ({}) and tar-split file records ({}) disagree",
                c.tar_members, self.files
            ));
        }
        Ok(c)
    }
}

fn parse_pax_time(v: &str) -> Option<(i64, u32)> {
    let (secs, frac) = v.split_once('.').unwrap_or((v, ""));
    let secs: i64 = secs.parse().ok()?;
    let mut nanos = 0u32;
    for (i, c) in frac.bytes().take(9).enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
    }
    Some((secs, nanos))
}

/// A `Read + Seek` view of the tar stream the tar-split describes, with zeros for file content.
struct VirtualTar<'a> {
    pieces: &'a [Piece],
    /// Start offset of each piece in the virtual stream.
    starts: Vec<u64>,
    len: u64,
    pos: u64,
    /// Bytes served from file content. The tar reader seeks over content, so any byte read there
    /// is a header (GNU long name, PAX records) that claims a file's data as its own: tar-split
    /// keeps real header bytes in segments. Capped, because the tar crate buffers such data whole.
    content_read: u64,
}

/// How much header data may come from file content (Go's archive/tar caps special files at 1 MiB).
const MAX_CONTENT_READ: u64 = 1 << 20;

impl<'a> VirtualTar<'a> {
    fn new(pieces: &'a [Piece]) -> Self {
        let mut starts = Vec::with_capacity(pieces.len());
        let mut at = 0u64;
        for p in pieces {
            starts.push(at);
            at += match p {
                Piece::Segment(b) => b.len() as u64,
                Piece::File { size, .. } => *size,
            };
        }
        VirtualTar {
            pieces,
            starts,
            len: at,
            pos: 0,
            content_read: 0,
        }
    }
}

impl Read for VirtualTar<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let i = self.starts.partition_point(|&s| s <= self.pos) - 1;
        let within = self.pos - self.starts[i];
        let n = match &self.pieces[i] {
            Piece::Segment(b) => {
                let src = &b[within as usize..];
                let n = src.len().min(buf.len());
                buf[..n].copy_from_slice(&src[..n]);
                n
            }
            Piece::File { size, .. } => {
                let n = ((size - within).min(buf.len() as u64)) as usize;
                self.content_read += n as u64;
                if self.content_read > MAX_CONTENT_READ {
                    return Err(io::Error::other(
                        "a tar header claims more than 1 MiB of extension data",
                    ));
                }
                buf[..n].fill(0);
                n
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for VirtualTar<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
        };
        self.pos = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before start"))?;
        Ok(self.pos)
    }
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
    fn header_data_claimed_from_file_content_is_capped() {
        // A GNU long-name header announcing 200 MB, whose "data" is a file record's content.
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::GNULongName);
        h.set_size(200 << 20);
        h.set_cksum();
        let seg = B64.encode(h.as_bytes());
        let lines = format!(
            "{{\"type\":2,\"payload\":\"{seg}\"}}\n{{\"type\":1,\"name\":\"x\",\"size\":{}}}\n",
            200u64 << 20
        );
        let ts = parse(lines.as_bytes()).unwrap();
        let e = ts.check_against(&Toc::default()).unwrap_err();
        assert!(e.to_string().contains("extension data"), "{e}");
    }

    #[test]
    fn pax_times() {
        assert_eq!(
            parse_pax_time("1700000000.5"),
            Some((1_700_000_000, 500_000_000))
        );
        assert_eq!(parse_pax_time("12"), Some((12, 0)));
        assert_eq!(parse_pax_time("x"), None);
    }
}
