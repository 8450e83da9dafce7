//! The single-range plan: what chunkscope recommends for registries that take one range per
//! request (S3, minio, many CDNs, and every browser `fetch`).
//!
//! Given the exact missing ranges (sorted, touching ranges merged) `r_1 … r_N` with gaps
//! `g_1 … g_{N−1}` between them, covering them with at most `K` contiguous ranges costs at least
//! `Σ r + (sum of the N − K smallest gaps)`: any K ranges that cover everything must bridge all
//! but K − 1 of the gaps, and the cheapest choice keeps the K − 1 largest ones open. So the whole
//! requests↔bytes curve falls out of one sort of the gaps, and each point is optimal.

use super::ranges::ByteRange;
use serde::Serialize;

/// Points kept in a downsampled curve (at most; the first and last are always kept).
pub const CURVE_POINTS: usize = 64;

/// What one extra request is taken to be worth when no budget is given: 4 KiB. That is about an
/// HTTP request's header overhead plus its share of an object store's per-request price (S3:
/// $0.0004 per 1,000 GETs ≈ 4.4 KB of egress at $0.09/GB); the requests themselves can run in
/// parallel. The automatic budget minimises `bytes + requests × this`: it bridges every gap
/// smaller than a request is worth and keeps the others open.
pub const AUTO_BUDGET_REQUEST_COST: u64 = 4 << 10;

/// One point of the curve: with `requests` single-range data requests, `bytes` are fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CurvePoint {
    /// Single-range data requests.
    pub requests: usize,
    /// Data bytes fetched with that many requests.
    pub bytes: u64,
}

/// The exact missing ranges of a layer and their sorted gaps.
#[derive(Debug, Clone, Default)]
pub struct SingleRange {
    ranges: Vec<ByteRange>,
    /// Gap after range i (between `ranges[i]` and `ranges[i + 1]`), by index.
    gaps: Vec<u64>,
    /// Prefix sums of the gaps sorted ascending: `prefix[j]` = the j smallest gaps.
    prefix: Vec<u64>,
    exact: u64,
}

impl SingleRange {
    /// `spans` are the exact missing extents in ascending order; touching ones are merged.
    pub fn new(spans: impl IntoIterator<Item = ByteRange>) -> SingleRange {
        let mut ranges: Vec<ByteRange> = Vec::new();
        for s in spans {
            if s.length == 0 {
                continue;
            }
            match ranges.last_mut() {
                Some(last) if s.offset <= last.end() => {
                    let end = last.end().max(s.end());
                    last.length = end - last.offset;
                }
                _ => ranges.push(s),
            }
        }
        let gaps: Vec<u64> = ranges
            .windows(2)
            .map(|w| w[1].offset - w[0].end())
            .collect();
        let mut sorted = gaps.clone();
        sorted.sort_unstable();
        let mut prefix = Vec::with_capacity(sorted.len() + 1);
        prefix.push(0u64);
        for g in sorted {
            prefix.push(prefix.last().unwrap() + g);
        }
        let exact = ranges.iter().map(|r| r.length).sum();
        SingleRange {
            ranges,
            gaps,
            prefix,
            exact,
        }
    }

    /// N: the number of ranges when nothing is bridged (the most requests worth making).
    pub fn unbridged(&self) -> usize {
        self.ranges.len()
    }

    /// Bytes of the missing ranges themselves.
    pub fn exact_bytes(&self) -> u64 {
        self.exact
    }

    /// The least bytes with at most `k` requests (k ≥ 1; 0 when nothing is missing).
    pub fn bytes(&self, k: usize) -> u64 {
        let n = self.ranges.len();
        if n == 0 {
            return 0;
        }
        let k = k.clamp(1, n);
        self.exact + self.prefix[n - k]
    }

    /// The ranges that achieve [`bytes`](Self::bytes)`(k)`: the `k − 1` largest gaps stay open.
    pub fn ranges(&self, k: usize) -> Vec<ByteRange> {
        let n = self.ranges.len();
        if n == 0 {
            return Vec::new();
        }
        let k = k.clamp(1, n);
        // Indices of the gaps to keep open: the k − 1 largest (ties: the later ones, any choice
        // costs the same).
        let mut order: Vec<usize> = (0..self.gaps.len()).collect();
        order.sort_unstable_by_key(|&i| (std::cmp::Reverse(self.gaps[i]), std::cmp::Reverse(i)));
        let mut open = vec![false; self.gaps.len()];
        for &i in order.iter().take(k - 1) {
            open[i] = true;
        }
        let mut out = vec![self.ranges[0]];
        for (i, r) in self.ranges.iter().enumerate().skip(1) {
            if open[i - 1] {
                out.push(*r);
            } else {
                let last = out.last_mut().unwrap();
                last.length = r.end() - last.offset;
            }
        }
        out
    }

    /// The budget that minimises `bytes(k) + k × request_cost`.
    pub fn auto_budget(&self, request_cost: u64) -> usize {
        let n = self.ranges.len();
        (1..=n)
            .min_by_key(|&k| self.bytes(k).saturating_add(k as u64 * request_cost))
            .unwrap_or(0)
    }

    /// The requests↔bytes curve from 1 request to N, downsampled to at most `max_points`
    /// (geometrically spaced, so the steep start keeps its detail; 1 and N always included).
    pub fn curve(&self, max_points: usize) -> Vec<CurvePoint> {
        let n = self.ranges.len();
        if n == 0 {
            return Vec::new();
        }
        let max_points = max_points.max(2);
        let mut ks: Vec<usize> = if n <= max_points {
            (1..=n).collect()
        } else {
            let steps = (max_points - 1) as f64;
            let mut v: Vec<usize> = (0..max_points)
                .map(|i| ((n as f64).powf(i as f64 / steps)).round() as usize)
                .map(|k| k.clamp(1, n))
                .collect();
            v.push(n);
            v.sort_unstable();
            v.dedup();
            v
        };
        ks.dedup();
        ks.into_iter()
            .map(|k| CurvePoint {
                requests: k,
                bytes: self.bytes(k),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(offset: u64, length: u64) -> ByteRange {
        ByteRange { offset, length }
    }

    #[test]
    fn bridging_the_smallest_gaps() {
        // Ranges of 10 bytes with gaps 100, 5, 50.
        let sr = SingleRange::new([s(0, 10), s(110, 10), s(125, 10), s(185, 10)]);
        assert_eq!(sr.unbridged(), 4);
        assert_eq!(sr.bytes(4), 40);
        assert_eq!(sr.bytes(9), 40);
        assert_eq!(sr.bytes(3), 45);
        assert_eq!(sr.bytes(2), 95);
        assert_eq!(sr.bytes(1), 195);
        assert_eq!(sr.ranges(1), [s(0, 195)]);
        assert_eq!(sr.ranges(2), [s(0, 10), s(110, 85)]);
        assert_eq!(sr.ranges(3), [s(0, 10), s(110, 25), s(185, 10)]);
        for k in 1..=4 {
            assert_eq!(
                sr.ranges(k).iter().map(|r| r.length).sum::<u64>(),
                sr.bytes(k)
            );
            assert_eq!(sr.ranges(k).len(), k);
        }
        // A request worth 60 bytes: bridging the gaps of 5 and 50 pays, the 100 does not.
        assert_eq!(sr.auto_budget(60), 2);
        assert_eq!(sr.auto_budget(0), 4);
    }

    #[test]
    fn touching_ranges_merge_and_empty_is_empty() {
        let sr = SingleRange::new([s(0, 10), s(10, 10), s(30, 0)]);
        assert_eq!(sr.unbridged(), 1);
        assert_eq!(sr.bytes(1), 20);
        let e = SingleRange::new([]);
        assert_eq!((e.unbridged(), e.bytes(3), e.auto_budget(1)), (0, 0, 0));
        assert!(e.curve(64).is_empty());
    }

    #[test]
    fn curve_is_downsampled_monotone_and_keeps_both_ends() {
        let spans: Vec<ByteRange> = (0..5000u64)
            .map(|i| s(i * 3000 + (i * 7919) % 1000, 100))
            .collect();
        let sr = SingleRange::new(spans);
        let c = sr.curve(CURVE_POINTS);
        assert!(c.len() <= CURVE_POINTS);
        assert_eq!(c.first().unwrap().requests, 1);
        assert_eq!(c.last().unwrap().requests, 5000);
        assert_eq!(c.last().unwrap().bytes, 500_000);
        for w in c.windows(2) {
            assert!(w[0].requests < w[1].requests);
            assert!(w[0].bytes >= w[1].bytes);
        }
    }
}
