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
use serde::Serialize;
use std::collections::BTreeMap;

mod line;

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

/// The totals of a tar-split read line by line (`Lines`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Size of the uncompressed tar stream it describes (the layer's uncompressed size).
    pub tar_size: u64,
    /// Number of file (type 1) records.
    pub files: usize,
    /// Number of segment (type 2) records.
    pub segments: usize,
}

/// Reads tar-split JSON lines one at a time, so that the decoded tar-split never has to be held:
/// [`parse`] keeps every piece, [`Stream`] checks each against the TOC as it comes and drops it.
#[derive(Debug, Default)]
struct Lines {
    line_no: usize,
    totals: Totals,
}

/// What a line was: its bytes (a segment's payload, a file record's name) are the ones
/// [`Lines::line`] appended to its buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Segment,
    File,
}

impl Lines {
    /// One line (without its `\n`); `None` for a blank line. The piece's bytes are appended to
    /// `out`; nothing is, on an error or a blank line.
    fn line(&mut self, raw: &[u8], out: &mut Vec<u8>) -> Result<Option<Kind>> {
        let start = out.len();
        let r = self.read(raw, out);
        if !matches!(r, Ok(Some(_))) {
            out.truncate(start);
        }
        r
    }

    fn read(&mut self, raw: &[u8], out: &mut Vec<u8>) -> Result<Option<Kind>> {
        self.line_no += 1;
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(None);
        }
        let n = self.line_no;
        let err = |m: String| Error::TarSplit(format!("line {n}: {m}"));
        let start = out.len();
        let line = line::read(raw, out).map_err(|e| match e {
            line::ReadError::Json(e) => err(e.to_string()),
            line::ReadError::Payload(e) => err(format!("payload: {e}")),
        })?;
        let t = &mut self.totals;
        Ok(Some(match line.kind {
            1 => {
                // A file record's payload (its CRC-64) is checked as base64, not kept.
                out.truncate(start);
                match (&line.name, &line.name_raw) {
                    (Some(n), _) => out.extend_from_slice(n.as_bytes()),
                    (None, Some(r)) => line::decode_base64(r.as_bytes(), out)
                        .map_err(|e| err(format!("name_raw: {e}")))?,
                    (None, None) => return Err(err("file record without a name".into())),
                }
                let size = u64::try_from(line.size)
                    .map_err(|_| err(format!("negative size {}", line.size)))?;
                t.tar_size = t
                    .tar_size
                    .checked_add(size)
                    .ok_or_else(|| err("tar size overflows".into()))?;
                t.files += 1;
                Kind::File
            }
            2 => {
                t.tar_size = t
                    .tar_size
                    .checked_add((out.len() - start) as u64)
                    .ok_or_else(|| err("tar size overflows".into()))?;
                t.segments += 1;
                Kind::Segment
            }
            t => return Err(err(format!("unknown record type {t}"))),
        }))
    }
}

/// Whether the fast reader of tar-split lines gives, on this line, what serde_json and the
/// `base64` crate give (the same record, or the same error text). For the fuzzers, which
/// assert it on every line.
#[doc(hidden)]
pub fn line_reader_agrees(raw: &[u8]) -> bool {
    line::agrees(raw)
}

/// Parses the uncompressed tar-split JSON lines.
pub fn parse(data: &[u8]) -> Result<TarSplit> {
    let mut lines = Lines::default();
    let mut pieces = Vec::new();
    let mut bytes = Vec::new();
    for raw in data.split(|&b| b == b'\n') {
        bytes.clear();
        match lines.line(raw, &mut bytes)? {
            Some(Kind::Segment) => pieces.push(Piece::Segment(bytes.clone())),
            Some(Kind::File) => pieces.push(Piece::File {
                name: bytes.clone(),
            }),
            None => {}
        }
    }
    let Totals {
        tar_size,
        files,
        segments,
    } = lines.totals;
    Ok(TarSplit {
        pieces,
        tar_size,
        files,
        segments,
    })
}

/// The tar-split read and checked against a TOC line by line: the memory it takes is one line
/// and the TOC's name index, whatever the size of the tar-split. Feed it every line
/// ([`Stream::line`], e.g. from [`crate::format::zstd::for_each_line_exact`]), then
/// [`Stream::finish`]. The result is the one [`parse`] then [`TarSplit::check_against`] give.
pub struct Stream<'t> {
    lines: Lines,
    checker: Checker<'t>,
    /// The current line's bytes (reused).
    bytes: Vec<u8>,
}

impl<'t> Stream<'t> {
    /// A stream checked against `toc` (whose name index it borrows).
    pub fn new(toc: &'t Toc) -> Stream<'t> {
        Stream {
            lines: Lines::default(),
            checker: Checker::new(toc),
            bytes: Vec::new(),
        }
    }
    /// One line, without its `\n`.
    pub fn line(&mut self, raw: &[u8]) -> Result<()> {
        self.bytes.clear();
        if let Some(kind) = self.lines.line(raw, &mut self.bytes)? {
            self.checker.piece(kind, &self.bytes);
        }
        Ok(())
    }
    /// The tar-split's totals and its correspondence with the TOC, once every line was fed.
    pub fn finish(self) -> (Totals, Correspondence) {
        (self.lines.totals, self.checker.finish())
    }
}

/// The compressed tar-split decompressed ([`crate::format::zstd::for_each_line_exact`]) and
/// checked against the TOC line by line: the result, and the errors with their precedence, are
/// those of feeding a [`Stream`] from `for_each_line_exact`. Natively, decompressing and parsing
/// the lines (zstd, JSON, base64) run on a second thread while this one checks the pieces
/// against the TOC; they pass in batches through a bounded channel, so memory stays a few
/// batches of lines whatever the size of the tar-split. The browser build does both in turn.
pub fn check_compressed(
    toc: &Toc,
    input: &[u8],
    expected: u64,
    limit: u64,
) -> Result<(Totals, Correspondence)> {
    #[cfg(not(target_arch = "wasm32"))]
    return check_threaded(toc, input, expected, limit);
    #[cfg(target_arch = "wasm32")]
    check_in_turn(toc, input, expected, limit)
}

/// [`check_compressed`] on one thread.
pub fn check_in_turn(
    toc: &Toc,
    input: &[u8],
    expected: u64,
    limit: u64,
) -> Result<(Totals, Correspondence)> {
    let mut stream = Stream::new(toc);
    crate::format::zstd::for_each_line_exact("tar-split", input, expected, limit, |line| {
        stream.line(line)
    })?;
    Ok(stream.finish())
}

/// [`check_compressed`] with the decoding on a second thread.
#[cfg(not(target_arch = "wasm32"))]
pub fn check_threaded(
    toc: &Toc,
    input: &[u8],
    expected: u64,
    limit: u64,
) -> Result<(Totals, Correspondence)> {
    /// Batches in flight: a batch is at most [`Batch::FULL_PIECES`] pieces or about
    /// [`Batch::FULL_BYTES`] bytes.
    const IN_FLIGHT: usize = 4;
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(IN_FLIGHT);
        // Checked batches go back to be filled again: no allocation per piece or per batch.
        let (back_tx, back_rx) = std::sync::mpsc::channel::<Batch>();
        let producer = s.spawn(move || {
            let mut lines = Lines::default();
            let mut batch = Batch::default();
            let r = crate::format::zstd::for_each_line_exact(
                "tar-split",
                input,
                expected,
                limit,
                |raw| {
                    if let Some(kind) = lines.line(raw, &mut batch.bytes)? {
                        batch.ends.push((kind, batch.bytes.len()));
                        if batch.is_full() {
                            let mut next = back_rx.try_recv().unwrap_or_default();
                            next.clear();
                            // The receiver outlives every send (it reads to the end).
                            let _ = tx.send(std::mem::replace(&mut batch, next));
                        }
                    }
                    Ok(())
                },
            );
            if !batch.ends.is_empty() {
                let _ = tx.send(batch);
            }
            (r, lines.totals)
        });
        let mut checker = Checker::new(toc);
        for batch in rx {
            let mut start = 0;
            for &(kind, end) in &batch.ends {
                checker.piece(kind, &batch.bytes[start..end]);
                start = end;
            }
            let _ = back_tx.send(batch);
        }
        let (r, totals) = producer
            .join()
            .map_err(|_| Error::Internal("the tar-split decoding thread panicked".into()))?;
        r?;
        Ok((totals, checker.finish()))
    })
}

/// Consecutive pieces, their bytes in one buffer.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Default)]
struct Batch {
    bytes: Vec<u8>,
    /// Each piece's kind and the end of its bytes.
    ends: Vec<(Kind, usize)>,
}

#[cfg(not(target_arch = "wasm32"))]
impl Batch {
    const FULL_PIECES: usize = 256;
    const FULL_BYTES: usize = 256 << 10;

    fn is_full(&self) -> bool {
        self.ends.len() >= Self::FULL_PIECES || self.bytes.len() >= Self::FULL_BYTES
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }
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
    /// The entry type.
    Type,
    /// The link target.
    Linkname,
    /// The permission and mode bits.
    Mode,
    /// The content size.
    Size,
    /// The owner user id.
    Uid,
    /// The owner group id.
    Gid,
    /// The modification time.
    ModTime,
    /// The access time.
    AccessTime,
    /// The change time.
    ChangeTime,
    /// The device major number.
    Devmajor,
    /// The device minor number.
    Devminor,
    /// The extended attributes.
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
pub struct TocTarSplitDifference {
    /// What kind of difference.
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
    /// Tar headers (members) in the tar-split.
    pub tar_members: usize,
    /// TOC entries compared (`chunk` entries excluded).
    pub toc_entries: usize,
    /// The differences, in the order containers/storage would meet them. Capped at
    /// [`MAX_PROBLEMS`].
    pub differences: Vec<TocTarSplitDifference>,
    /// `differences` as one line each (message and note).
    pub problems: Vec<String>,
    /// How many differences were found in total (may exceed `differences.len()`).
    pub problem_count: usize,
    /// The error the reference check (`ensureTOCMatchesTarSplit`) returns: its first failure.
    pub first_error: Option<String>,
    /// chunkscope's own check, not part of containers/storage's: tar-split file records whose
    /// name differs from the header before them (`asm` looks file contents up by that name).
    pub record_mismatches: Vec<String>,
    /// How many file records disagree in total (may exceed `record_mismatches.len()`).
    pub record_mismatch_count: usize,
}

/// The most differences (and record mismatches) a [`Correspondence`] keeps; the rest are only counted.
pub const MAX_PROBLEMS: usize = 20;

impl Correspondence {
    /// True when the TOC and the tar-split agree entry for entry.
    pub fn ok(&self) -> bool {
        self.problem_count == 0
    }
    fn push(&mut self, d: TocTarSplitDifference) {
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
        let mut checker = Checker::new(toc);
        for piece in &self.pieces {
            match piece {
                Piece::Segment(p) => checker.segment(p),
                Piece::File { name } => checker.file(name),
            }
        }
        checker.finish()
    }
}

/// The TOC entries (not chunks) no tar header has claimed yet, by name: the first entry of each
/// name, sorted by name (binary search; no hashing of untrusted names), with a cursor in TOC
/// order so that a tar-split in the TOC's order (the usual case) is matched without a search.
struct Pending<'t> {
    /// (name, entry index, position in `toc_order`), sorted by name.
    sorted: Vec<(&'t [u8], usize, usize)>,
    claimed: Vec<bool>,
    /// Positions in `sorted`, in TOC order.
    toc_order: Vec<usize>,
    cursor: usize,
    /// Non-chunk entries, duplicates included.
    entries: usize,
}

impl<'t> Pending<'t> {
    /// Also returns the entries whose name an earlier entry has, in TOC order.
    fn new(toc: &'t Toc) -> (Pending<'t>, Vec<usize>) {
        let mut all: Vec<(&[u8], usize)> = toc
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind != EntryType::Chunk)
            .map(|(i, e)| (e.name.as_bytes(), i))
            .collect();
        let entries = all.len();
        all.sort_unstable();
        let mut sorted: Vec<(&[u8], usize, usize)> = Vec::with_capacity(all.len());
        let mut duplicates = Vec::new();
        for (name, i) in all {
            match sorted.last() {
                Some(&(last, _, _)) if last == name => duplicates.push(i),
                _ => sorted.push((name, i, 0)),
            }
        }
        duplicates.sort_unstable();
        let mut toc_order: Vec<usize> = (0..sorted.len()).collect();
        toc_order.sort_unstable_by_key(|&p| sorted[p].1);
        for (o, &p) in toc_order.iter().enumerate() {
            sorted[p].2 = o;
        }
        let claimed = vec![false; sorted.len()];
        (
            Pending {
                sorted,
                claimed,
                toc_order,
                cursor: 0,
                entries,
            },
            duplicates,
        )
    }

    /// Claims the entry of this name, if it is still pending: its index.
    fn remove(&mut self, name: &[u8]) -> Option<usize> {
        while let Some(&p) = self.toc_order.get(self.cursor) {
            if !self.claimed[p] {
                if self.sorted[p].0 == name {
                    self.claimed[p] = true;
                    self.cursor += 1;
                    return Some(self.sorted[p].1);
                }
                break;
            }
            self.cursor += 1;
        }
        let p = self.sorted.binary_search_by(|e| e.0.cmp(name)).ok()?;
        if self.claimed[p] {
            return None;
        }
        self.claimed[p] = true;
        self.cursor = self.sorted[p].2 + 1;
        Some(self.sorted[p].1)
    }

    /// The names left, sorted.
    fn left(&self) -> Vec<&'t [u8]> {
        self.sorted
            .iter()
            .zip(&self.claimed)
            .filter(|(_, c)| !**c)
            .map(|(e, _)| e.0)
            .collect()
    }
}

/// [`TarSplit::check_against`] one piece at a time, in tar-split order.
struct Checker<'t> {
    toc: &'t Toc,
    c: Correspondence,
    /// TOC entries (not chunks) by name, removed as tar headers claim them.
    pending: Pending<'t>,
    pending_padding: u64,
    /// A segment did not decode: nothing after it is compared (upstream stops there).
    unreadable: bool,
    /// The name of the header the previous piece decoded to (its file record should follow).
    last_header: Option<Vec<u8>>,
    modtime: ModTimes,
}

/// The TOC's `modtime`s parsed once per shared text: entries of one TOC mostly share one `Arc`
/// ([`TocEntry::modtime`]), so the last one parsed is kept with its `Arc`.
#[derive(Default)]
struct ModTimes {
    last: Option<(std::sync::Arc<String>, Option<UnixTime>)>,
}

impl ModTimes {
    fn parse(&mut self, text: Option<&std::sync::Arc<String>>) -> Option<UnixTime> {
        let text = text?;
        match &self.last {
            Some((t, parsed)) if std::sync::Arc::ptr_eq(t, text) => *parsed,
            _ => {
                let parsed = parse_rfc3339(text);
                self.last = Some((text.clone(), parsed));
                parsed
            }
        }
    }
}

impl<'t> Checker<'t> {
    fn new(toc: &'t Toc) -> Checker<'t> {
        let mut c = Correspondence::default();
        let (pending, duplicates) = Pending::new(toc);
        c.toc_entries = pending.entries;
        // The first entry of a name stays (upstream stops at the duplicate anyway).
        for i in duplicates {
            let name = toc.entries[i].name.as_bytes();
            c.push(TocTarSplitDifference {
                kind: DifferenceKind::DuplicateInToc,
                path: gofmt::quote(name),
                field: None,
                message: format!(
                    "TOC contains duplicate entries for path {}",
                    gofmt::quote(name)
                ),
                note: None,
            });
        }
        Checker {
            toc,
            c,
            pending,
            pending_padding: 0,
            unreadable: false,
            last_header: None,
            modtime: ModTimes::default(),
        }
    }

    /// A file record: chunkscope's own check that it is named as the header just before it.
    fn file(&mut self, name: &[u8]) {
        let Some(header) = self.last_header.take() else {
            return;
        };
        let c = &mut self.c;
        if *name != *header {
            c.record_mismatch_count += 1;
            if c.record_mismatches.len() < MAX_PROBLEMS {
                c.record_mismatches.push(format!(
                    "header {} is followed by the file record {}",
                    gofmt::quote(&header),
                    gofmt::quote(name)
                ));
            }
        }
    }

    fn piece(&mut self, kind: Kind, bytes: &[u8]) {
        match kind {
            Kind::Segment => self.segment(bytes),
            Kind::File => self.file(bytes),
        }
    }

    fn segment(&mut self, payload: &[u8]) {
        self.last_header = None;
        if self.unreadable {
            return;
        }
        let c = &mut self.c;
        let pending_padding = self.pending_padding;
        let Some(payload) = usize::try_from(pending_padding)
            .ok()
            .and_then(|p| payload.get(p..))
        else {
            c.push(TocTarSplitDifference {
                kind: DifferenceKind::UnreadableHeader,
                path: String::new(),
                field: None,
                message: format!("expected {pending_padding} bytes of padding after previous file, but next SegmentType only has {} bytes", payload.len()),
                note: None,
            });
            self.unreadable = true;
            return;
        };
        self.pending_padding = 0;
        let (hdr, pad) = match tar_header::read_first(payload) {
            Ok(Some(h)) => h,
            Ok(None) => return,
            Err(e) => {
                c.push(TocTarSplitDifference {
                    kind: DifferenceKind::UnreadableHeader,
                    path: String::new(),
                    field: None,
                    message: format!("decoding a tar header from a tar-split entry: {e}"),
                    note: Some(e.detail()),
                });
                self.unreadable = true;
                return;
            }
        };
        self.pending_padding = pad;
        c.tar_members += 1;
        let pending = &mut self.pending;
        let found = pending.remove(hdr.name.as_slice());
        match found {
            None => {
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
                let path = gofmt::quote(&hdr.name);
                c.push(TocTarSplitDifference {
                    kind: DifferenceKind::MissingInToc,
                    message: format!("tar-split contains an entry for {path} missing in TOC"),
                    path,
                    field: None,
                    note,
                });
            }
            Some(i) => {
                let entry = &self.toc.entries[i];
                let modtime = self.modtime.parse(entry.modtime.as_ref());
                if let Some(d) = compare_entry(entry, modtime, &hdr) {
                    c.push(d);
                }
            }
        }
        self.last_header = Some(hdr.name);
    }

    fn finish(self) -> Correspondence {
        let mut c = self.c;
        if !self.unreadable {
            let left = self.pending.left();
            let incl = gofmt::quote_list(left.iter().take(5).copied());
            for name in left {
                c.push(TocTarSplitDifference {
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
/// `modtime` is `t`'s, parsed ([`ModTimes`]).
fn compare_entry(
    t: &TocEntry,
    modtime: Option<UnixTime>,
    h: &Header,
) -> Option<TocTarSplitDifference> {
    let Some(kind) = toc_type(h.typeflag) else {
        let path = gofmt::quote(&h.name);
        return Some(TocTarSplitDifference {
            kind: DifferenceKind::UnknownType,
            path: path.clone(),
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
    let parsed_time = |a: Option<UnixTime>, b: Option<UnixTime>| {
        let a = norm_time(a);
        let b = norm_time(b);
        (a != b).then(|| (show_time(a), show_time(b)))
    };
    let time = |a: Option<&str>, b| parsed_time(a.and_then(parse_rfc3339), b);
    let tar_xattrs: BTreeMap<Vec<u8>, String> = h
        .pax
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(XATTR_PREFIX)
                .map(|x| (x.to_vec(), B64.encode(v)))
        })
        .collect();
    let toc_xattrs: BTreeMap<Vec<u8>, String> = t
        .xattrs()
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
            Field::Linkname => (t.link_name().as_bytes() != h.linkname.as_slice())
                .then(|| (q(t.link_name().as_bytes()), q(&h.linkname))),
            Field::Mode => n(t.mode, h.mode),
            Field::Size => n(t.size, h.size),
            Field::Uid => n(t.uid, h.uid),
            Field::Gid => n(t.gid, h.gid),
            Field::ModTime => parsed_time(modtime, h.mtime),
            Field::AccessTime => time(t.accesstime(), h.atime),
            Field::ChangeTime => time(t.changetime(), h.ctime),
            Field::Devmajor => n(t.dev_major(), h.devmajor),
            Field::Devminor => n(t.dev_minor(), h.devminor),
            Field::Xattrs => {
                (toc_xattrs != tar_xattrs).then(|| (xmap(&toc_xattrs), xmap(&tar_xattrs)))
            }
        }
    };
    Field::ALL.into_iter().find_map(|field| {
        let (a, b) = diff(field)?;
        Some(TocTarSplitDifference {
            kind: DifferenceKind::Mismatch,
            path: gofmt::quote(&h.name),
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

    /// The streaming check gives what parse + check_against give, line numbers in errors too.
    fn stream_of(data: &[u8], toc: &Toc) -> Result<(Totals, Correspondence)> {
        let mut s = Stream::new(toc);
        for raw in data.split(|&b| b == b'\n') {
            s.line(raw)?;
        }
        Ok(s.finish())
    }

    #[test]
    fn stream_equals_parse_then_check() {
        let mut blocks = vec![block("a", b'0', "0000644"), block("c", b'7', "0000644")];
        blocks.push(block("d", b'5', "0000755"));
        let mut lines = String::new();
        for (i, b) in blocks.iter().enumerate() {
            lines += &format!("{{\"type\":2,\"payload\":\"{}\"}}\n", B64.encode(b));
            // One record named as its header, one not, one missing; an escaped name too.
            match i {
                0 => lines += "{\"type\":1,\"name\":\"\\u0061\",\"size\":0}\n\n",
                1 => lines += "{\"type\":1,\"name\":\"x\",\"size\":0}\n",
                _ => {}
            }
        }
        lines += &format!(
            "{{\"type\":2,\"payload\":\"{}\"}}\n",
            B64.encode([0u8; 1024])
        );
        let toc = Toc {
            entries: vec![
                entry(EntryType::Reg, "a", 0o644),
                entry(EntryType::Reg, "b", 0o644),
                entry(EntryType::Dir, "d", 0o700),
            ],
            ..Toc::default()
        };
        let ts = parse(lines.as_bytes()).unwrap();
        let whole = ts.check_against(&toc);
        let (totals, streamed) = stream_of(lines.as_bytes(), &toc).unwrap();
        assert_eq!(streamed, whole);
        assert_eq!(
            totals,
            Totals {
                tar_size: ts.tar_size,
                files: ts.files,
                segments: ts.segments
            }
        );
        assert_eq!(whole.record_mismatch_count, 1);
        assert_eq!(whole.problem_count, 3);
        let bad = format!("{lines}{{\"type\":9}}\n");
        assert_eq!(
            stream_of(bad.as_bytes(), &toc).unwrap_err(),
            parse(bad.as_bytes()).unwrap_err()
        );
    }

    #[test]
    fn pending_claims_each_name_once_in_any_order() {
        let names = ["b", "a", "c", "a", "d", "b"];
        let toc = Toc {
            entries: names
                .iter()
                .map(|n| entry(EntryType::Reg, n, 0o644))
                .collect(),
            ..Toc::default()
        };
        let (mut p, dups) = Pending::new(&toc);
        assert_eq!(dups, [3, 5]);
        assert_eq!(p.entries, 6);
        // In TOC order, then out of it, then a name twice, then an unknown one.
        assert_eq!(p.remove(b"b"), Some(0));
        assert_eq!(p.remove(b"c"), Some(2));
        assert_eq!(p.remove(b"a"), Some(1));
        assert_eq!(p.remove(b"a"), None);
        assert_eq!(p.remove(b"zz"), None);
        assert_eq!(p.left(), [b"d".as_slice()]);
        assert_eq!(p.remove(b"d"), Some(4));
        assert!(p.left().is_empty());
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
        crate::format::tar_header::tests::ustar_mode(name.as_bytes(), flag, 0, mode)
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
            modtime: Some(std::sync::Arc::new("1970-01-01T00:00:01Z".into())),
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
