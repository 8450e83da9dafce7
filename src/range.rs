//! One byte-range type for every place a blob is cut: the ranges an inspection reads, the ranges
//! a request asks for, the ranges a plan fetches, the extents a report logs.
//!
//! A range is always `[offset, offset + length)` of one blob. Keeping a single type (instead of
//! one per module) means a planned range, a request's `Range` header and a read log entry can be
//! compared and passed along without conversion, and serialize the same way (`{offset, length}`).

use serde::{Deserialize, Serialize};

/// `[offset, offset + length)` of a blob.
///
/// ```
/// use chunkscope::ByteRange;
/// let r = ByteRange { offset: 100, length: 28 };
/// assert_eq!(r.end(), 128);
/// assert_eq!(r.header_value(), "bytes=100-127");
/// ```
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ByteRange {
    /// The first byte.
    pub offset: u64,
    /// How many bytes.
    pub length: u64,
}

impl ByteRange {
    /// The range of `length` bytes at `offset`.
    pub const fn new(offset: u64, length: u64) -> ByteRange {
        ByteRange { offset, length }
    }

    /// One past the last byte.
    pub const fn end(&self) -> u64 {
        self.offset + self.length
    }

    /// The HTTP `Range` value: always a single range with absolute first and last byte (never a
    /// suffix, never several ranges). Only meaningful for a non-empty range.
    pub fn header_value(&self) -> String {
        format!("bytes={}-{}", self.offset, self.end() - 1)
    }
}
