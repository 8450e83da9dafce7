//! Missing parts → HTTP ranges, the way containers/storage's `mergeMissingChunks` does it.
//!
//! The reference puller turns every chunk of every file it does not have into a "missing part"
//! (a compressed blob extent plus where its bytes come from: the network, a local file, or a
//! hole), keeps them in TOC order, and then:
//!
//! 1. **coalesces** adjacent network parts (gap 0) that belong to the same file;
//! 2. lists the **gaps** between consecutive network parts (local and hole parts do not count)
//!    and sorts them, cheapest first;
//! 3. **bridges** greedily: with `remaining = N − target`, a gap is skipped only when
//!    `remaining < 0` and it is larger than [`AUTO_MERGE_THRESHOLD`]; otherwise it is bridged and
//!    `remaining` decremented. Every gap ≤ 1 KiB is bridged, and when `N ≥ target` the cheapest
//!    `N − target + 1` gaps are bridged, leaving at most `target − 1` ranges (1023 for the
//!    default target of 1024: an off-by-one in the reference code, kept here on purpose);
//! 4. a bridged gap **absorbs** whatever lies in it: local and hole parts in a bridged span are
//!    downloaded after all (hole bytes are downloaded and thrown away);
//! 5. all remaining network ranges go out in **one** GET with a multi-range `Range` header.
//!
//! Parts are assumed to ascend (the writer emits them that way and the reference relies on it).
//! A part that starts before the previous network part ends has no valid gap; the reference would
//! compute a wrapped-around unsigned gap, we simply never bridge it.

/// `maxNumberMissingChunks`: the initial target number of ranges per request.
pub const MAX_NUMBER_MISSING_CHUNKS: usize = 1024;
/// `autoMergePartsThreshold`: gaps of at most this many bytes are always bridged.
pub const AUTO_MERGE_THRESHOLD: u64 = 1024;

pub use crate::range::ByteRange;

/// Where a missing part's bytes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Must be fetched from the registry.
    Remote,
    /// Found by chunk digest in a layer already in the store.
    Local,
    /// A `zeros` chunk: written as a sparse hole, never fetched on its own.
    Hole,
}

/// One chunk of a file that is not in the store as a whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Compressed extent in the blob.
    pub offset: u64,
    /// Compressed length.
    pub length: u64,
    /// Whether it must be fetched, is in the store, or is a hole.
    pub source: Source,
    /// Which file (any stable id: the index in the layer's file list). Same-file coalescing only
    /// merges parts with the same id.
    pub file: usize,
}

impl Part {
    fn end(&self) -> u64 {
        self.offset + self.length
    }
}

/// What [`merge_missing_chunks`] produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    /// The ranges of the one data request, ascending.
    pub ranges: Vec<ByteRange>,
    /// Bytes of the network parts themselves, as the parts were sized (no gaps).
    pub needed_bytes: u64,
}

impl Merged {
    /// Bytes requested: the sum of the ranges.
    pub fn bytes(&self) -> u64 {
        self.ranges.iter().map(|r| r.length).sum()
    }
}

/// The reference's `mergeMissingChunks(parts, target)`, returning the ranges it would request.
pub fn merge_missing_chunks(parts: &[Part], target: usize) -> Merged {
    // 1. Same-file coalescing of adjacent network parts.
    let mut coalesced: Vec<Part> = Vec::with_capacity(parts.len());
    for p in parts {
        if let Some(prev) = coalesced.last_mut() {
            if p.source == Source::Remote
                && prev.source == Source::Remote
                && prev.file == p.file
                && p.offset == prev.end()
            {
                prev.length += p.length;
                continue;
            }
        }
        coalesced.push(*p);
    }

    // 2. Gaps between consecutive network parts: (index of the later part in `remote`, cost).
    let remote: Vec<ByteRange> = coalesced
        .iter()
        .filter(|p| p.source == Source::Remote)
        .map(|p| ByteRange {
            offset: p.offset,
            length: p.length,
        })
        .collect();
    let needed_bytes = remote.iter().map(|r| r.length).sum();
    let mut gaps: Vec<(usize, u64)> = Vec::with_capacity(remote.len().saturating_sub(1));
    for i in 1..remote.len() {
        if let Some(cost) = remote[i].offset.checked_sub(remote[i - 1].end()) {
            gaps.push((i, cost));
        }
    }
    // The reference uses an unstable sort; ties cost the same bytes and leave the same count.
    gaps.sort_by_key(|&(i, cost)| (cost, i));

    // 3. Greedy bridging.
    let mut bridged = vec![false; remote.len()];
    let mut remaining = remote.len() as i64 - target as i64;
    for &(i, cost) in &gaps {
        if remaining < 0 && cost > AUTO_MERGE_THRESHOLD {
            // Sorted ascending: every later gap is larger too.
            break;
        }
        bridged[i] = true;
        remaining -= 1;
    }

    // 4. Bridged spans absorb everything between their ends.
    let mut ranges: Vec<ByteRange> = Vec::new();
    for (i, r) in remote.iter().enumerate() {
        match ranges.last_mut() {
            Some(last) if bridged[i] => last.length = r.end() - last.offset,
            _ => ranges.push(*r),
        }
    }
    Merged {
        ranges,
        needed_bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(offset: u64, length: u64, source: Source, file: usize) -> Part {
        Part {
            offset,
            length,
            source,
            file,
        }
    }

    #[test]
    fn coalesces_same_file_and_bridges_small_gaps() {
        let parts = [
            part(100, 50, Source::Remote, 0),
            part(150, 50, Source::Remote, 0),
            // 2000-byte gap: kept.
            part(2200, 10, Source::Remote, 1),
            // A local part and a hole inside a 1024-byte gap: absorbed.
            part(2210, 500, Source::Local, 2),
            part(2710, 17, Source::Hole, 2),
            part(3234, 6, Source::Remote, 2),
            // 1025-byte gap: kept.
            part(4265, 5, Source::Remote, 3),
        ];
        let m = merge_missing_chunks(&parts, MAX_NUMBER_MISSING_CHUNKS);
        assert_eq!(
            m.ranges,
            [
                ByteRange::new(100, 100),
                ByteRange::new(2200, 1040),
                ByteRange::new(4265, 5),
            ]
        );
        assert_eq!(m.needed_bytes, 100 + 10 + 6 + 5);
        assert_eq!(m.bytes(), 100 + 1040 + 5);
    }

    #[test]
    fn local_and_hole_parts_outside_bridged_gaps_are_not_requested() {
        let parts = [
            part(0, 100, Source::Local, 0),
            part(5000, 100, Source::Remote, 1),
            part(9000, 100, Source::Hole, 2),
        ];
        let m = merge_missing_chunks(&parts, MAX_NUMBER_MISSING_CHUNKS);
        assert_eq!(m.ranges, [ByteRange::new(5000, 100)]);
        assert!(merge_missing_chunks(&parts[..1], 1024).ranges.is_empty());
    }

    #[test]
    fn cap_leaves_target_minus_one_ranges_bridging_cheapest_gaps() {
        // 3000 single-chunk files, gaps 2000 + (i % 7) bytes: none auto-bridged.
        let mut parts = Vec::new();
        let mut off = 0;
        for i in 0..3000 {
            off += 2000 + (i % 7) as u64;
            parts.push(part(off, 10, Source::Remote, i));
            off += 10;
        }
        let m = merge_missing_chunks(&parts, MAX_NUMBER_MISSING_CHUNKS);
        assert_eq!(m.ranges.len(), 1023);
        // The bridged gaps are the cheapest ones: 3000 − 1023 = 1977 gaps of the 2999.
        let gaps: Vec<u64> = (1..3000).map(|i| 2000 + (i % 7) as u64).collect();
        let mut sorted = gaps.clone();
        sorted.sort();
        let bridged: u64 = sorted[..1977].iter().sum();
        assert_eq!(m.bytes(), 3000 * 10 + bridged);
        // Below the target nothing but ≤ 1 KiB gaps is bridged.
        let m = merge_missing_chunks(&parts[..1000], MAX_NUMBER_MISSING_CHUNKS);
        assert_eq!(m.ranges.len(), 1000);
        // Exactly at the target: one gap is bridged (the off-by-one).
        let m = merge_missing_chunks(&parts[..1024], MAX_NUMBER_MISSING_CHUNKS);
        assert_eq!(m.ranges.len(), 1023);
    }

    #[test]
    fn different_files_touching_are_bridged_not_coalesced() {
        // Gap 0 between files: bridged in step 3 (gap ≤ 1 KiB), same result.
        let parts = [
            part(10, 5, Source::Remote, 0),
            part(15, 5, Source::Remote, 1),
        ];
        let m = merge_missing_chunks(&parts, 2);
        assert_eq!(m.ranges, [ByteRange::new(10, 10)]);
    }
}
