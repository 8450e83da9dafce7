//! The layer as a list of files, each with its chunks' places in the blob.
//!
//! The TOC is a flat list in which a file of N chunks is one `reg` entry followed by N−1 `chunk`
//! entries; compressed lengths are implicit (a chunk ends where the next begins, the last at the
//! file's `endOffset`). [`LayerFiles::build`] turns that into explicit extents, which is what the
//! inspector shows, what the planner fetches and what verification decompresses. Inconsistencies
//! are collected as problems rather than errors: an inspector must still show a broken layer.

use crate::format::digest::Digest;
use crate::format::toc::{EntryType, Toc, TocEntry};
use serde::Serialize;

/// One chunk of a regular file: a run of zstd frames in the blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Chunk {
    /// Blob offset of the chunk's first frame.
    pub offset: u64,
    /// Compressed bytes, from `offset` to the next chunk (or the file's end offset).
    pub compressed_length: u64,
    /// Offset of the chunk's data within the file.
    pub uncompressed_offset: u64,
    /// Bytes of file data in the chunk.
    pub uncompressed_length: u64,
    /// `chunkDigest`, or the file digest for a single-chunk file.
    pub digest: Option<Digest>,
    /// A run of zeros (a hole) that pullers never fetch.
    pub zeros: bool,
}

/// A non-chunk TOC entry with its chunks attached.
#[derive(Debug, Clone, PartialEq)]
pub struct FileEntry {
    /// The tar name ([`FileEntry::name`]) as a clean absolute path: the form pullers use.
    pub path: String,
    /// The TOC entry (type, mode, owner, times, digest, …), whose `name` is the file's name as
    /// written.
    pub entry: TocEntry,
    /// Empty for anything without a payload.
    pub chunks: Vec<Chunk>,
}

impl FileEntry {
    /// The tar name as written (the TOC entry's `name`; held once).
    pub fn name(&self) -> &str {
        &self.entry.name
    }
    /// `[offset, endOffset)` of the whole payload, if there is one.
    pub fn extent(&self) -> Option<(u64, u64)> {
        let first = self.chunks.first()?;
        let last = self.chunks.last()?;
        Some((first.offset, last.offset + last.compressed_length))
    }
}

/// All files of a layer, in TOC order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayerFiles {
    /// Every non-chunk TOC entry, in TOC order, with its chunks.
    pub files: Vec<FileEntry>,
    /// Where file payloads must end: the start of the TOC's skippable frame.
    pub payload_end: u64,
    /// Inconsistencies found while building (capped); empty for a well-formed TOC.
    pub problems: Vec<String>,
}

const MAX_PROBLEMS: usize = 20;

/// Counts over a layer's files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Entries (chunk entries excluded).
    pub entries: usize,
    /// Regular files.
    pub files: usize,
    /// Directories.
    pub dirs: usize,
    /// Symbolic links.
    pub symlinks: usize,
    /// Hard links.
    pub hardlinks: usize,
    /// Devices and FIFOs.
    pub other: usize,
    /// Chunks of all regular files (a single-chunk file counts one).
    pub chunks: usize,
    /// Chunks that are runs of zeros.
    pub zero_chunks: usize,
    /// Regular files in more than one chunk.
    pub multi_chunk_files: usize,
    /// Compressed bytes of all payloads.
    pub payload_bytes: u64,
}

impl LayerFiles {
    /// Builds the file list from a TOC. `payload_end` is the blob offset where the TOC's skippable
    /// frame starts (TOC offset − 8): payload frames must end at or before it.
    /// Takes the TOC by value: each entry moves into its file rather than being copied, so a large
    /// layer is held once.
    pub fn build(toc: Toc, payload_end: u64) -> LayerFiles {
        let mut out = LayerFiles {
            // One file per non-chunk entry at most: sized from entries that exist, not a claim.
            files: Vec::with_capacity(
                toc.entries
                    .iter()
                    .filter(|e| e.kind != EntryType::Chunk)
                    .count(),
            ),
            payload_end,
            problems: Vec::new(),
        };
        let problem = |out: &mut Vec<String>, p: String| {
            if out.len() < MAX_PROBLEMS {
                out.push(p);
            }
        };
        let mut entries = toc.entries;
        // The groups, in TOC order: a file's entry and the `chunk` entries that follow it with
        // its name (a reg entry with a payload carries chunk 0), or one stray `chunk` entry.
        // Only their starts are kept (4 bytes each), so that the files can then be built from
        // the last group to the first, each group's entries dropped as its file is made: the
        // parsed entries and the files are never all held at once.
        let mut starts: Vec<u32> = Vec::new();
        let mut i = 0;
        while i < entries.len() {
            starts.push(u32::try_from(i).unwrap_or(u32::MAX));
            let e = &entries[i];
            let mut next = i + 1;
            if e.kind == EntryType::Reg && e.offset > 0 {
                while next < entries.len()
                    && entries[next].kind == EntryType::Chunk
                    && entries[next].name == e.name
                {
                    next += 1;
                }
            }
            i = next;
        }
        // Problems are found last group first; the first MAX_PROBLEMS in TOC order are kept.
        let mut found: std::collections::VecDeque<String> = std::collections::VecDeque::new();
        let mut group_problems: Vec<String> = Vec::new();
        // The offset of the first entry with a payload offset after the current group.
        let mut next_payload: Option<u64> = None;
        for &start in starts.iter().rev() {
            let i = start as usize;
            let raw = &entries[i..];
            let e = &raw[0];
            // Before the group's entry moves into its file.
            let group_payload = raw.iter().map(|x| x.offset).find(|&o| o > 0);
            group_problems.clear();
            let problem = |out: &mut Vec<String>, p: String| out.push(p);
            if e.kind == EntryType::Chunk {
                problem(
                    &mut group_problems,
                    format!("{:?}: chunk entry without a preceding regular file", e.name),
                );
            } else {
                let mut file = FileEntry {
                    path: clean_path(&e.name),
                    entry: TocEntry::default(),
                    chunks: Vec::new(),
                };
                if e.kind == EntryType::Reg && e.offset > 0 {
                    // Where the last chunk ends: endOffset, else the next payload's start, else
                    // the TOC.
                    let end = if e.end_offset > 0 {
                        e.end_offset
                    } else {
                        next_payload.unwrap_or(payload_end)
                    };
                    let multi = raw.len() > 1;
                    // Exactly as many as there are: a growing Vec would reserve four at once.
                    file.chunks.reserve_exact(raw.len());
                    for (k, c) in raw.iter().enumerate() {
                        let c_end = raw.get(k + 1).map(|n| n.offset).unwrap_or(end);
                        let u_off = if k == 0 { 0 } else { c.chunk_offset() };
                        let u_end = raw.get(k + 1).map(|n| n.chunk_offset()).unwrap_or(e.size);
                        if c_end <= c.offset {
                            problem(
                                &mut group_problems,
                                format!(
                                    "{:?}: chunk {k} ends at {c_end}, not after its start {}",
                                    e.name, c.offset
                                ),
                            );
                        }
                        if u_end < u_off {
                            problem(
                                &mut group_problems,
                                format!(
                                    "{:?}: chunk {k} has chunkOffset {u_off} beyond the next one",
                                    e.name
                                ),
                            );
                        }
                        if multi
                            && c.chunk_size() != 0
                            && c.chunk_size() != u_end.saturating_sub(u_off)
                        {
                            problem(
                                &mut group_problems,
                                format!(
                                    "{:?}: chunk {k} chunkSize {} but spans {}",
                                    e.name,
                                    c.chunk_size(),
                                    u_end.saturating_sub(u_off)
                                ),
                            );
                        }
                        file.chunks.push(Chunk {
                            offset: c.offset,
                            // Clamped to the payload area, so every sum over extents stays
                            // below the blob size; anything cut here is also reported as a
                            // problem.
                            compressed_length: c_end.min(payload_end).saturating_sub(c.offset),
                            uncompressed_offset: u_off,
                            uncompressed_length: u_end.saturating_sub(u_off),
                            digest: if multi {
                                c.chunk_digest()
                            } else {
                                e.digest.as_ref()
                            }
                            .cloned(),
                            zeros: c.chunk_type() == "zeros",
                        });
                    }
                    if end > payload_end {
                        problem(
                            &mut group_problems,
                            format!(
                                "{:?}: payload ends at {end}, past the metadata at {payload_end}",
                                e.name
                            ),
                        );
                    }
                } else if e.kind == EntryType::Reg && e.size > 0 {
                    problem(
                        &mut group_problems,
                        format!("{:?}: {} bytes but no payload offset", e.name, e.size),
                    );
                }
                file.entry = std::mem::take(&mut entries[i]);
                out.files.push(file);
            }
            next_payload = group_payload.or(next_payload);
            for p in group_problems.drain(..).rev() {
                found.push_front(p);
                found.truncate(MAX_PROBLEMS);
            }
            entries.truncate(i);
            // Give the dropped entries' memory back as the list halves.
            if entries.capacity() > 4096 && entries.len() < entries.capacity() / 2 {
                entries.shrink_to_fit();
            }
        }
        drop(starts);
        out.files.reverse();
        out.problems.extend(found);
        // Payloads must be in ascending, non-overlapping order: the reference puller relies on it.
        let mut prev_end = 0u64;
        let mut unordered = Vec::new();
        for f in &out.files {
            if let Some((start, end)) = f.extent() {
                if start < prev_end {
                    unordered.push(format!("{:?}: payload at {start} overlaps or precedes the previous one (ends {prev_end})", f.name()));
                }
                prev_end = prev_end.max(end);
            }
        }
        for p in unordered {
            problem(&mut out.problems, p);
        }
        out
    }

    /// The counts the report shows.
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            entries: self.files.len(),
            ..Counts::default()
        };
        for f in &self.files {
            match f.entry.kind {
                EntryType::Reg => c.files += 1,
                EntryType::Dir => c.dirs += 1,
                EntryType::Symlink => c.symlinks += 1,
                EntryType::Hardlink => c.hardlinks += 1,
                _ => c.other += 1,
            }
            c.chunks += f.chunks.len();
            c.zero_chunks += f.chunks.iter().filter(|k| k.zeros).count();
            c.multi_chunk_files += usize::from(f.chunks.len() > 1);
            c.payload_bytes = f.chunks.iter().fold(c.payload_bytes, |acc, k| {
                acc.saturating_add(k.compressed_length)
            });
        }
        c
    }
}

/// `/`-rooted clean path: `./usr//bin/../lib/` → `/usr/lib`.
pub fn clean_path(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 1);
    if !name.split('/').any(|p| p == "..") {
        // Nothing to undo (the usual case): the kept parts, each after a '/'.
        for p in name.split('/').filter(|p| !p.is_empty() && *p != ".") {
            s.push('/');
            s.push_str(p);
        }
        if s.is_empty() {
            s.push('/');
        }
        return s;
    }
    let mut parts: Vec<&str> = Vec::new();
    for p in name.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    for p in parts {
        s.push('/');
        s.push_str(p);
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::toc;

    #[test]
    fn paths() {
        assert_eq!(clean_path("./usr//bin/../lib/"), "/usr/lib");
        assert_eq!(clean_path("../../etc"), "/etc");
        assert_eq!(clean_path("."), "/");
    }

    #[test]
    fn chunk_extents() {
        let t = toc::parse(br#"{"entries":[
            {"type":"dir","name":"d/"},
            {"type":"reg","name":"d/a","size":30,"offset":100,"endOffset":190,"chunkSize":10,"chunkDigest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
            {"type":"chunk","name":"d/a","offset":140,"chunkOffset":10,"chunkSize":15,"chunkType":"zeros"},
            {"type":"chunk","name":"d/a","offset":160,"chunkOffset":25,"chunkSize":5},
            {"type":"reg","name":"d/b","size":4,"offset":200}
        ]}"#).unwrap();
        let l = LayerFiles::build(t, 300);
        assert!(l.problems.is_empty(), "{:?}", l.problems);
        let a = &l.files[1];
        let ext: Vec<_> = a
            .chunks
            .iter()
            .map(|c| {
                (
                    c.offset,
                    c.compressed_length,
                    c.uncompressed_offset,
                    c.uncompressed_length,
                    c.zeros,
                )
            })
            .collect();
        assert_eq!(
            ext,
            [
                (100, 40, 0, 10, false),
                (140, 20, 10, 15, true),
                (160, 30, 25, 5, false)
            ]
        );
        // No endOffset: the payload runs to the metadata.
        assert_eq!(l.files[2].extent(), Some((200, 300)));
        let c = l.counts();
        assert_eq!(
            (
                c.entries,
                c.files,
                c.dirs,
                c.chunks,
                c.zero_chunks,
                c.multi_chunk_files
            ),
            (3, 2, 1, 4, 1, 1)
        );
    }

    /// The file model as it was built before it was built last group first (commit c3e2c5f),
    /// kept as the reference the differential test below compares with.
    fn build_forward(toc: Toc, payload_end: u64) -> LayerFiles {
        let mut out = LayerFiles {
            // One file per non-chunk entry at most: sized from entries that exist, not a claim.
            files: Vec::with_capacity(
                toc.entries
                    .iter()
                    .filter(|e| e.kind != EntryType::Chunk)
                    .count(),
            ),
            payload_end,
            problems: Vec::new(),
        };
        let problem = |out: &mut Vec<String>, p: String| {
            if out.len() < MAX_PROBLEMS {
                out.push(p);
            }
        };
        let mut entries = toc.entries;
        let mut i = 0;
        while i < entries.len() {
            let e = &entries[i];
            if e.kind == EntryType::Chunk {
                problem(
                    &mut out.problems,
                    format!("{:?}: chunk entry without a preceding regular file", e.name),
                );
                i += 1;
                continue;
            }
            let mut file = FileEntry {
                path: clean_path(&e.name),
                entry: TocEntry::default(),
                chunks: Vec::new(),
            };
            let mut next = i + 1;
            if e.kind == EntryType::Reg && e.offset > 0 {
                // The reg entry carries chunk 0; `chunk` entries with the same name follow.
                let mut raw: Vec<&TocEntry> = vec![e];
                while next < entries.len()
                    && entries[next].kind == EntryType::Chunk
                    && entries[next].name == e.name
                {
                    raw.push(&entries[next]);
                    next += 1;
                }
                // Where the last chunk ends: endOffset, else the next payload's start, else the TOC.
                let end = if e.end_offset > 0 {
                    e.end_offset
                } else {
                    entries[next..]
                        .iter()
                        .find(|x| x.offset > 0)
                        .map(|x| x.offset)
                        .unwrap_or(payload_end)
                };
                let multi = raw.len() > 1;
                for (k, c) in raw.iter().enumerate() {
                    let c_end = raw.get(k + 1).map(|n| n.offset).unwrap_or(end);
                    let u_off = if k == 0 { 0 } else { c.chunk_offset() };
                    let u_end = raw.get(k + 1).map(|n| n.chunk_offset()).unwrap_or(e.size);
                    if c_end <= c.offset {
                        problem(
                            &mut out.problems,
                            format!(
                                "{:?}: chunk {k} ends at {c_end}, not after its start {}",
                                e.name, c.offset
                            ),
                        );
                    }
                    if u_end < u_off {
                        problem(
                            &mut out.problems,
                            format!(
                                "{:?}: chunk {k} has chunkOffset {u_off} beyond the next one",
                                e.name
                            ),
                        );
                    }
                    if multi && c.chunk_size() != 0 && c.chunk_size() != u_end.saturating_sub(u_off)
                    {
                        problem(
                            &mut out.problems,
                            format!(
                                "{:?}: chunk {k} chunkSize {} but spans {}",
                                e.name,
                                c.chunk_size(),
                                u_end.saturating_sub(u_off)
                            ),
                        );
                    }
                    file.chunks.push(Chunk {
                        offset: c.offset,
                        // Clamped to the payload area, so every sum over extents stays below
                        // the blob size; anything cut here is also reported as a problem.
                        compressed_length: c_end.min(payload_end).saturating_sub(c.offset),
                        uncompressed_offset: u_off,
                        uncompressed_length: u_end.saturating_sub(u_off),
                        digest: if multi {
                            c.chunk_digest()
                        } else {
                            e.digest.as_ref()
                        }
                        .cloned(),
                        zeros: c.chunk_type() == "zeros",
                    });
                }
                if end > payload_end {
                    problem(
                        &mut out.problems,
                        format!(
                            "{:?}: payload ends at {end}, past the metadata at {payload_end}",
                            e.name
                        ),
                    );
                }
            } else if e.kind == EntryType::Reg && e.size > 0 {
                problem(
                    &mut out.problems,
                    format!("{:?}: {} bytes but no payload offset", e.name, e.size),
                );
            }
            file.entry = std::mem::take(&mut entries[i]);
            out.files.push(file);
            i = next;
        }
        // Payloads must be in ascending, non-overlapping order: the reference puller relies on it.
        let mut prev_end = 0u64;
        let mut unordered = Vec::new();
        for f in &out.files {
            if let Some((start, end)) = f.extent() {
                if start < prev_end {
                    unordered.push(format!("{:?}: payload at {start} overlaps or precedes the previous one (ends {prev_end})", f.name()));
                }
                prev_end = prev_end.max(end);
            }
        }
        for p in unordered {
            problem(&mut out.problems, p);
        }
        out
    }

    /// Random TOCs (reg, chunk, dir and symlink entries over a few names, with and without
    /// offsets, end offsets, sizes and chunk fields, in any order): built last group first,
    /// the file model equals the one built front to back, problems included.
    #[test]
    fn last_group_first_equals_front_to_back_on_random_tocs() {
        use crate::format::toc::Rare;
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut capped = 0;
        for round in 0..3000 {
            let len = next(80) as usize;
            let mut entries = Vec::with_capacity(len);
            for _ in 0..len {
                let kind = match next(8) {
                    0..=2 => EntryType::Reg,
                    3..=5 => EntryType::Chunk,
                    6 => EntryType::Dir,
                    _ => EntryType::Symlink,
                };
                let mut e = TocEntry {
                    kind,
                    name: ["a", "b", "./c", "d/../e"][next(4) as usize].into(),
                    size: [0, 1, 10, 100][next(4) as usize],
                    offset: [0, 0, next(1000), next(1000)][next(4) as usize],
                    end_offset: [0, 0, next(1200)][next(3) as usize],
                    ..TocEntry::default()
                };
                if next(2) == 0 {
                    e.rare = Some(Box::new(Rare {
                        chunk_size: next(20),
                        chunk_offset: next(120),
                        chunk_type: ["", "zeros"][next(2) as usize].to_string(),
                        ..Rare::default()
                    }));
                }
                entries.push(e);
            }
            let toc = Toc {
                entries,
                ..Toc::default()
            };
            let payload_end = [500, 1000, 2000][next(3) as usize];
            let built = LayerFiles::build(toc.clone(), payload_end);
            capped += usize::from(built.problems.len() == MAX_PROBLEMS);
            assert_eq!(built, build_forward(toc, payload_end), "round {round}");
        }
        assert!(capped > 100, "only {capped} rounds reach the problem cap");
    }

    /// `clean_path`'s one-pass form equals the stack form on names made of every kind of part.
    #[test]
    fn clean_path_equals_the_stack_form() {
        fn stack_form(name: &str) -> String {
            let mut parts: Vec<&str> = Vec::new();
            for p in name.split('/') {
                match p {
                    "" | "." => {}
                    ".." => {
                        parts.pop();
                    }
                    p => parts.push(p),
                }
            }
            let s: String = parts.iter().map(|p| format!("/{p}")).collect();
            if s.is_empty() {
                "/".into()
            } else {
                s
            }
        }
        let parts = ["", ".", "..", "a", "bc", "..."];
        for n in 0..6usize.pow(4) {
            let mut k = n;
            let mut name = String::new();
            for i in 0..4 {
                if i > 0 {
                    name.push('/');
                }
                name.push_str(parts[k % 6]);
                k /= 6;
            }
            assert_eq!(clean_path(&name), stack_form(&name), "{name:?}");
        }
    }

    #[test]
    fn first_problems_in_toc_order_and_files_in_toc_order() {
        // 30 problems (a stray chunk, then regs with a size and no payload offset), interleaved
        // with good files: the first MAX_PROBLEMS in TOC order are kept, then the order check's.
        let mut j = String::from(r#"{"entries":[{"type":"chunk","name":"stray","offset":5}"#);
        for i in 0..29 {
            j.push_str(&format!(
                r#",{{"type":"reg","name":"bad{i:02}","size":3}},{{"type":"reg","name":"ok{i:02}","size":1,"offset":{}}}"#,
                100 + i * 10
            ));
        }
        j.push_str("]}");
        let l = LayerFiles::build(toc::parse(j.as_bytes()).unwrap(), 2000);
        assert_eq!(l.problems.len(), MAX_PROBLEMS);
        assert_eq!(
            l.problems[0],
            "\"stray\": chunk entry without a preceding regular file"
        );
        for (i, p) in l.problems[1..].iter().enumerate() {
            assert_eq!(*p, format!("\"bad{i:02}\": 3 bytes but no payload offset"));
        }
        assert_eq!(l.files.len(), 58);
        assert_eq!(l.files[0].name(), "bad00");
        assert_eq!(l.files[57].name(), "ok28");
        // No endOffset: each payload runs to the next one's start, the last to the metadata.
        assert_eq!(l.files[1].extent(), Some((100, 110)));
        assert_eq!(l.files[3].extent(), Some((110, 120)));
        assert_eq!(l.files[57].extent(), Some((380, 2000)));
    }

    #[test]
    fn problems_not_panics() {
        let t = toc::parse(
            br#"{"entries":[
            {"type":"chunk","name":"x","offset":5},
            {"type":"reg","name":"a","size":3,"offset":500,"endOffset":400},
            {"type":"reg","name":"b","size":3,"offset":100,"endOffset":900}
        ]}"#,
        )
        .unwrap();
        let l = LayerFiles::build(t, 800);
        assert!(l.problems.len() >= 3, "{:?}", l.problems);
    }
}
