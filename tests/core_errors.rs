//! Hostile and broken input: every failure is a typed `chunkscope::Error` (or, for
//! inconsistencies an inspector must still display, a failed check), never a panic.
//!
//! Most cases start from a real fixture layer and break one thing in a copy of it:
//! * a truncated footer, a blob shorter than its metadata claims, a short read → `Truncated` /
//!   `Layout`;
//! * a wrong footer magic → `Footer`;
//! * malformed annotation text → `Annotation` naming the key and the bad value;
//! * one flipped byte in the TOC (or tar-split) → `DigestMismatch` before anything is parsed;
//! * trailing bytes after the TOC JSON (a real TOC + "x", recompressed with the `zstd` CLI and
//!   correctly annotated, so only the trailing data is wrong) → `Toc`;
//! * a TOC over the reference's 150 MiB cap → not read, verdict `toc-over-limit` (a full pull,
//!   as the puller sees it), `notRead` in the report, no error; a tar-split over our 1 GiB cap →
//!   `TooLarge` before any read (and nothing allocated);
//! * a zstd bomb (300 MB of zeros in ~9 KB) → `TooLarge` / `Overlong`, quickly, with the
//!   memory use measured by a counting allocator;
//! * a tar-split that disagrees with the TOC → the `toc_matches_tarsplit` check fails;
//! * a chunk extent running past the TOC → the `chunk_extents` check fails.
//!
//! Rebuilt layers keep the fixture's real payload frames and re-lay the metadata the way the
//! writer does (`core_support::rebuild`); a control test shows an unmodified rebuild passes.

mod core_support;

use chunkscope::format::annotations::LayerAnnotations;
use chunkscope::format::footer;
use chunkscope::format::zstd;
use chunkscope::inspect::eligibility::{PullOutcome, VerdictCode};
use chunkscope::inspect::report::{
    CheckName, CheckState, LayerFormat, NotReadCode, TarSplitSize, TocSize,
};
use chunkscope::inspect::{InspectOptions, LayerInspection, MAX_TOC};
use chunkscope::Error;
use core_support::*;
use serde_json::Value;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;
const ALL: InspectOptions = InspectOptions {
    tar_split: true,
    footer: false,
    files: false,
};

// ---------------------------------------------------------------------------------------------
// A counting allocator: peak live heap bytes of the current thread, so "no large allocation" is
// measured rather than assumed. Per-thread, so tests running in parallel do not disturb it.

struct Counting;

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn note(delta: i64) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        note(l.size() as i64);
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        note(l.size() as i64);
        System.alloc_zeroed(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        note(-(l.size() as i64));
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        note(new as i64 - l.size() as i64);
        System.realloc(p, l, new)
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f` and returns its result and the peak extra heap bytes it had live on this thread.
fn peak_heap<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let v = f();
    let peak = PEAK.with(Cell::get);
    (v, (peak - start).max(0) as u64)
}

#[test]
fn the_allocation_counter_measures() {
    let (v, peak) = peak_heap(|| vec![1u8; 10 * MIB as usize]);
    assert!(peak >= 10 * MIB, "{peak}");
    drop(v);
    let ((), peak) = peak_heap(|| ());
    assert!(peak < 1024, "{peak}");
}

// ---------------------------------------------------------------------------------------------

fn tiny() -> FixtureLayer {
    layer("tiny-current", 1)
}

/// The typed error of a `LayerInspection` over `blob`; fails the test if there was none.
fn feed_error(desc: &chunkscope::oci::Descriptor, opts: InspectOptions, blob: &[u8]) -> Error {
    let (err, done) = drive(desc, opts, blob);
    let err = err.unwrap_or_else(|| panic!("no error; report: {:?}", done.report));
    let recorded = done.report.error.expect("the report records the error");
    assert_eq!(recorded, err, "report.error is the typed error itself");
    let msg = recorded.to_string();
    assert_eq!(msg.lines().count(), 1, "one-line message: {msg:?}");
    // Serialized as {kind, message, …fields}.
    let json = serde_json::to_value(&recorded).unwrap();
    assert_eq!(json["kind"], recorded.kind().as_str());
    assert_eq!(json["message"], msg.as_str());
    err
}

#[test]
fn truncated_footer() {
    for l in [tiny(), layer("tiny-legacy", 1)] {
        let tail = &l.blob[l.blob.len() - 72..];
        for n in [0usize, 1, 8, 47] {
            match footer::parse(&tail[72 - n..]) {
                Err(Error::Truncated {
                    what: "footer",
                    needed: 48,
                    got,
                }) => assert_eq!(got, n as u64),
                other => panic!("{}: {n} bytes: {other:?}", l.name()),
            }
        }
    }
    // A current footer cut to 48..71 bytes is not mistaken for anything else.
    let l = tiny();
    for n in 48..72 {
        assert!(matches!(
            footer::parse(&l.blob[l.blob.len() - n..]),
            Err(Error::Footer(_))
        ));
    }
}

#[test]
fn truncated_blob_and_short_reads() {
    let l = tiny();
    // The server (or file) returns fewer bytes than the planned range.
    let mut insp = LayerInspection::new(&l.desc, ALL);
    let r = insp.next_read().unwrap();
    let short = &slice(&l.blob, r)[..r.length as usize - 1];
    match insp.feed(short) {
        Err(Error::Truncated {
            what: "range read",
            needed,
            got,
        }) => assert_eq!((needed, got), (r.length, r.length - 1)),
        other => panic!("{other:?}"),
    }
    assert_eq!(insp.next_read(), None);
    assert!(insp.finish().report.error.is_some());

    // Only the last 200 bytes of a blob, no annotations: the footer points outside the blob.
    let cut = l.blob[l.blob.len() - 200..].to_vec();
    let desc = descriptor_for(&cut, BTreeMap::new());
    assert!(matches!(feed_error(&desc, ALL, &cut), Error::Layout(_)));

    // A blob file shorter than its descriptor says: the file reader reports it, typed.
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("tiny-truncated.blob");
    std::fs::write(&path, &l.blob[..l.blob.len() - 100]).unwrap();
    let toc = l.toc_position();
    let r = chunkscope::inspect::ByteRange {
        offset: toc.offset,
        length: l.desc.size - toc.offset,
    };
    assert!(matches!(
        chunkscope::source::layout::read_range(&path, r),
        Err(Error::Truncated { .. })
    ));
    let done = chunkscope::inspect::inspect_layer_blocking(&l.desc, ALL, |r| {
        chunkscope::source::layout::read_range(&path, r)
    });
    assert!(done.report.error.is_some(), "{:?}", done.report);
    std::fs::remove_file(path).ok();
}

#[test]
fn wrong_footer_magic() {
    // Each variant: the two ends of the magic, the skippable-frame magic, the frame size.
    for (l, positions) in [
        (tiny(), [0usize, 4, 64, 71]),
        (layer("tiny-legacy", 1), [24, 28, 64, 71]),
    ] {
        let tail = l.blob[l.blob.len() - 72..].to_vec();
        footer::parse(&tail).expect("the real footer parses");
        for at in positions {
            let mut t = tail.clone();
            t[at] ^= 0x20; // "GNUlInUx" -> "gNUlInUx", "...x" -> "...X", and so on
            match footer::parse(&t) {
                Err(Error::Footer(m)) => assert!(m.contains("no known"), "{m}"),
                other => panic!("{}: flipped byte {at}: {other:?}", l.name()),
            }
        }
    }
    // The magic of a current footer swapped for the legacy one, and vice versa.
    let l = tiny();
    let mut t = l.blob[l.blob.len() - 72..].to_vec();
    t[64..].copy_from_slice(b"GnUlInUx");
    assert!(matches!(footer::parse(&t), Err(Error::Footer(_))));

    // With annotations the footer is only checked (the annotations, authenticated by the
    // manifest, give the positions): a bad magic is a failed check that says why.
    let mut blob = l.blob.clone();
    let n = blob.len();
    blob[n - 1] = b'X';
    let desc = descriptor_for(&blob, l.desc.annotations.clone());
    let opts = InspectOptions {
        footer: true,
        ..ALL
    };
    let (err, done) = drive(&desc, opts, &blob);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        done.report.checks[&CheckName::FooterMagic].state,
        CheckState::Fail
    );
    assert!(done.report.checks[&CheckName::FooterMagic]
        .detail
        .as_deref()
        .unwrap_or_default()
        .contains("no known"));

    // Without annotations a blob without a known footer is an ordinary zstd layer: no error,
    // one read of the last 72 bytes, not eligible for a partial pull.
    let desc = descriptor_for(&blob, BTreeMap::new());
    let (err, done) = drive(&desc, ALL, &blob);
    assert!(err.is_none(), "{err:?}");
    let r = done.report;
    assert_eq!(
        (r.format, r.reads, r.bytes_read),
        (LayerFormat::Zstd, 1, 72)
    );
    assert!(!r.partial_pull.eligible);
    assert_eq!(r.error, None);
}

#[test]
fn bad_annotation_text_names_key_and_value() {
    let l = tiny();
    let cur = "io.github.containers.zstd-chunked.";
    let leg = "io.containers.zstd-chunked.";
    let cases: &[(&str, &str, &str)] = &[
        (cur, "manifest-position", "323422:3468:13946"),
        (cur, "manifest-position", "323422:3468:13946:1:"),
        (cur, "manifest-position", "323422:3468:abc:1"),
        (cur, "manifest-position", " 323422:3468:13946:1"),
        (cur, "manifest-position", "+323422:3468:13946:1"),
        (cur, "manifest-position", "323422:3468:13946:2"),
        (
            cur,
            "manifest-position",
            "323422:3468:99999999999999999999999:1",
        ),
        (cur, "manifest-position", ""),
        (cur, "tarsplit-position", "326898:3418"),
        (cur, "tarsplit-position", "326898:-3418:77675"),
        (cur, "tarsplit-position", "0x10:3418:77675"),
        (cur, "manifest-checksum", "sha256:XYZ"),
        (
            cur,
            "manifest-checksum",
            "md5:d41d8cd98f00b204e9800998ecf8427e",
        ),
        (
            cur,
            "manifest-checksum",
            "2a29e3f3e5e30b7e26cabf30cd1798ef3a0fa5dae6e651f19adbcf88c68a50d5",
        ),
        (leg, "manifest-position", "nope"),
    ];
    for &(ns, key, value) in cases {
        let mut a = l.desc.annotations.clone();
        if ns == leg {
            a.clear();
            a.insert(
                format!("{leg}manifest-checksum"),
                l.annotation("manifest-checksum").unwrap().into(),
            );
        }
        let full_key = format!("{ns}{key}");
        a.insert(full_key.clone(), value.into());
        match LayerAnnotations::parse(&a) {
            Err(Error::Annotation {
                key: k,
                value: v,
                reason,
            }) => {
                assert_eq!(
                    (k.as_str(), v.as_str()),
                    (full_key.as_str(), value),
                    "{reason}"
                );
                assert!(!reason.is_empty());
            }
            other => panic!("{full_key}={value:?}: {other:?}"),
        }
        // The inspection stops before reading anything and reports key and value on one line.
        let insp = LayerInspection::new(
            &chunkscope::oci::Descriptor {
                annotations: a,
                ..l.desc.clone()
            },
            ALL,
        );
        assert_eq!(insp.next_read(), None, "{full_key}={value:?}");
        let r = insp.finish().report;
        let err = r.error.expect("error reported");
        assert_eq!(err.kind(), chunkscope::ErrorKind::Format, "{err}");
        assert!(
            matches!(&err, Error::Annotation { key, value: v, .. } if *key == full_key && v == value),
            "{err:?}"
        );
        let e = err.to_string();
        assert!(
            e.contains(&full_key) && e.contains(&format!("{value:?}")),
            "{e}"
        );
        assert_eq!(e.lines().count(), 1);
        assert_eq!(r.reads, 0);
    }
    // manifest-checksum without manifest-position: the position key is named.
    let mut a = BTreeMap::new();
    a.insert(
        format!("{cur}manifest-checksum"),
        l.annotation("manifest-checksum").unwrap().to_string(),
    );
    match LayerAnnotations::parse(&a) {
        Err(Error::Annotation { key, .. }) => assert_eq!(key, format!("{cur}manifest-position")),
        other => panic!("{other:?}"),
    }
    // Both zstd:chunked and eStargz TOC digests: rejected, naming the eStargz key.
    let mut a = l.desc.annotations.clone();
    a.insert(
        "containerd.io/snapshot/stargz/toc.digest".into(),
        l.annotation("manifest-checksum").unwrap().into(),
    );
    assert!(
        matches!(LayerAnnotations::parse(&a), Err(Error::Annotation { key, .. }) if key.contains("stargz"))
    );
}

#[test]
fn toc_digest_mismatch() {
    let l = tiny();
    let toc = l.toc_position();
    for at in [0, toc.length / 2, toc.length - 1] {
        let mut blob = l.blob.clone();
        blob[(toc.offset + at) as usize] ^= 1;
        let desc = descriptor_for(&blob, l.desc.annotations.clone());
        match feed_error(&desc, ALL, &blob) {
            Error::DigestMismatch {
                what,
                expected,
                actual,
            } => {
                assert_eq!(what, "TOC");
                assert_eq!(expected, l.annotation("manifest-checksum").unwrap());
                assert_eq!(
                    actual,
                    sha256_hex(&blob[toc.offset as usize..(toc.offset + toc.length) as usize])
                );
            }
            other => panic!("{other:?}"),
        }
    }
    // The same for the tar-split, authenticated by the TOC's tarSplitDigest.
    let ts = l.tarsplit_position().unwrap();
    let mut blob = l.blob.clone();
    blob[(ts.offset + ts.length / 2) as usize] ^= 0x80;
    let desc = descriptor_for(&blob, l.desc.annotations.clone());
    assert!(matches!(
        feed_error(&desc, ALL, &blob),
        Error::DigestMismatch { what, .. } if what == "tar-split"
    ));
    // Without the tar-split the same blob inspects cleanly: the flipped byte is not read.
    let (err, done) = drive(&desc, InspectOptions::default(), &blob);
    assert!(err.is_none() && done.report.error.is_none());
}

/// The real TOC JSON with `suffix` appended, recompressed and correctly annotated.
fn toc_with_suffix(l: &FixtureLayer, suffix: &[u8]) -> Rebuilt {
    let mut json = l.toc_json_via_cli();
    json.extend_from_slice(suffix);
    let toc_z = zstd_compress(&json);
    let ts = l.tarsplit_position().unwrap();
    let prefix = &l.blob[..(l.toc_position().offset - 8) as usize];
    assemble(
        prefix,
        &toc_z,
        json.len() as u64,
        Some((l.bytes(ts), ts.uncompressed_length)),
    )
}

#[test]
fn trailing_bytes_after_the_toc_json() {
    let l = tiny();
    for suffix in [&b"x"[..], b"{}", b" 1", b"\n\"entries\"", b"\0"] {
        let r = toc_with_suffix(&l, suffix);
        match feed_error(&r.descriptor(), ALL, &r.blob) {
            Error::Toc(m) => assert!(m.contains("trailing"), "{suffix:?}: {m}"),
            other => panic!("{suffix:?}: {other:?}"),
        }
    }
    // Control: trailing whitespace is allowed (as in Go's decoder), and the rebuilt blob then
    // passes every check, so the error above is the trailing data and nothing else.
    let r = toc_with_suffix(&l, b" \n\t\r\n");
    let (err, done) = drive(&r.descriptor(), ALL, &r.blob);
    assert!(err.is_none(), "{err:?}");
    assert!(
        done.report.checks.values().all(|c| c.passed()),
        "{:?}",
        done.report.checks
    );
    assert_eq!(done.report.entries, 76);
}

#[test]
fn declared_sizes_over_the_cap() {
    let l = tiny();
    let cur = "io.github.containers.zstd-chunked.";
    let toc = l.toc_position();
    // Annotation: the TOC decompresses to 200 MiB. The reference puller never reads such a
    // TOC and pulls the layer whole: that is the verdict, not an error, and nothing is read.
    let mut a = l.desc.annotations.clone();
    a.insert(
        format!("{cur}manifest-position"),
        format!("{}:{}:{}:1", toc.offset, toc.length, 200 * MIB),
    );
    let desc = chunkscope::oci::Descriptor {
        annotations: a,
        ..l.desc.clone()
    };
    let insp = LayerInspection::new(&desc, ALL);
    assert_eq!(insp.next_read(), None, "nothing is read");
    let r = insp.finish().report;
    assert_eq!(r.error, None);
    assert_eq!(r.partial_pull.code, VerdictCode::TocOverLimit);
    assert_eq!(r.partial_pull.outcome, PullOutcome::FullPull);
    let nr = r.not_read.expect("notRead");
    assert_eq!(
        (nr.code, nr.what, nr.size, nr.limit),
        (
            NotReadCode::TocOverLimit,
            TocSize::Uncompressed,
            200 * MIB,
            MAX_TOC
        )
    );
    assert_eq!((r.reads, r.bytes_read), (0, 0));
    // The tar-split over our cap (8 GiB uncompressed; the reference puller has none): not an
    // error, and not read. The layer is inspected as with --toc-only: same reads, same verdict,
    // and its tar-split report says why.
    {
        let mut a = l.desc.annotations.clone();
        a.insert(
            format!("{cur}tarsplit-position"),
            format!("326898:3418:{}", 9 * 1024 * MIB),
        );
        let desc = chunkscope::oci::Descriptor {
            annotations: a,
            ..l.desc.clone()
        };
        let (err, done) = drive(&desc, ALL, &l.blob);
        assert!(err.is_none(), "{err:?}");
        let reason = done.verdict.reason.clone();
        let r = done.report;
        assert_eq!(r.error, None);
        let ts = r.tar_split.as_ref().expect("tar-split report");
        let nr = ts.not_read.as_ref().expect("tar-split notRead");
        assert_eq!(
            (nr.code, nr.what, nr.size, nr.limit),
            (
                NotReadCode::TarSplitOverLimit,
                TarSplitSize::Uncompressed,
                9 * 1024 * MIB,
                chunkscope::inspect::MAX_TAR_SPLIT_DECODED
            )
        );
        assert_eq!((ts.digest_verified, ts.tar_size), (false, None));
        assert!(!r.checks.contains_key(&CheckName::TocMatchesTarsplit));
        assert_eq!(r.partial_pull.code, VerdictCode::TarSplitNotChecked);
        assert!(reason.contains("over chunkscope's"), "{reason}");
        let toc_only = InspectOptions {
            tar_split: false,
            ..ALL
        };
        let (err, control) = drive(&desc, toc_only, &l.blob);
        assert!(err.is_none(), "{err:?}");
        let c = control.report;
        assert_eq!(
            (r.reads, r.bytes_read, r.partial_pull.code, r.entries),
            (c.reads, c.bytes_read, c.partial_pull.code, c.entries)
        );
        assert!(r.bytes_read < l.blob.len() as u64 / 2, "{}", r.bytes_read);
        // The JSON names the code and the size.
        let json = serde_json::to_value(ts).unwrap();
        assert_eq!(json["notRead"]["code"], "tar-split-over-limit");
        assert_eq!(json["notRead"]["what"], "tar-split (uncompressed)");
    }
    // A compressed TOC of 200 MiB in a (claimed) 400 MiB blob: refused without reading or
    // allocating anything near that size.
    let mut a = l.desc.annotations.clone();
    a.insert(
        format!("{cur}manifest-position"),
        format!("{}:{}:{}:1", 8, 200 * MIB, 1000),
    );
    a.remove(&format!("{cur}tarsplit-position"));
    let desc = chunkscope::oci::Descriptor {
        annotations: a,
        size: 400 * MIB,
        ..l.desc.clone()
    };
    let (insp, peak) = peak_heap(|| LayerInspection::new(&desc, ALL));
    assert_eq!(insp.next_read(), None);
    let r = insp.finish().report;
    assert_eq!(r.error, None);
    assert_eq!(r.partial_pull.code, VerdictCode::TocOverLimit);
    assert_eq!(r.not_read.expect("notRead").what, TocSize::Compressed);
    assert!(peak < MIB, "peak heap {peak} bytes");

    // The same claim in a footer (no annotations): the footer is read, the TOC is not; the
    // reference pulls the layer whole anyway (no annotations), and the report says both.
    let mut blob = l.blob.clone();
    let n = blob.len();
    blob[n - 48..n - 40].copy_from_slice(&(200 * MIB).to_le_bytes()); // TOC uncompressed length
    let desc = descriptor_for(&blob, BTreeMap::new());
    let mut insp = LayerInspection::new(&desc, ALL);
    let r = insp.next_read().unwrap();
    assert_eq!((r.offset, r.length), (desc.size - 72, 72));
    insp.feed(&slice(&blob, r)).expect("not an error");
    assert_eq!(insp.next_read(), None);
    let r = insp.finish().report;
    assert_eq!((r.reads, r.error), (1, None));
    assert_eq!(r.partial_pull.outcome, PullOutcome::FullPull);
    assert_eq!(r.partial_pull.code, VerdictCode::NoTocAnnotation);
    let nr = r.not_read.expect("notRead");
    assert_eq!((nr.code, nr.size), (NotReadCode::TocOverLimit, 200 * MIB));

    // And at the bottom: a declared length over the limit is refused before decoding.
    let toc_bytes = l.bytes(toc).to_vec();
    let (res, peak) = peak_heap(|| zstd::decompress_exact("TOC", &toc_bytes, 200 * MIB, MAX_TOC));
    assert!(matches!(res, Err(Error::TooLarge { size, .. }) if size == 200 * MIB));
    assert!(peak < 64 * 1024, "peak heap {peak} bytes");
}

/// 300 MB of zeros, zstd -19: about 9 KB.
fn zstd_bomb() -> Vec<u8> {
    let out = std::process::Command::new("sh")
        .args(["-c", "head -c 300000000 /dev/zero | zstd -19 -q -c"])
        .output()
        .expect("sh, head and zstd run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.stdout.is_empty() && out.stdout.len() < 64 * 1024,
        "{} bytes",
        out.stdout.len()
    );
    out.stdout
}

#[test]
fn zstd_bomb_is_refused_quickly_without_a_large_allocation() {
    let bomb = zstd_bomb();
    // Direct, with a small limit.
    let t = Instant::now();
    let (res, peak) = peak_heap(|| zstd::decompress("bomb", &bomb, MIB));
    match res {
        Err(Error::TooLarge { limit, .. }) => assert_eq!(limit, MIB),
        other => panic!("{:?}", other.map(|v| v.len())),
    }
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    // The decoder keeps a window (8 MiB for this frame) plus the capped output; 300 MB never.
    assert!(peak < 40 * MIB, "peak heap {} MiB", peak / MIB);
    eprintln!(
        "zstd bomb: {} bytes in, refused after {:?}, peak heap {} KiB",
        bomb.len(),
        t.elapsed(),
        peak / 1024
    );

    // A declared length: decoding stops one byte past it.
    let (res, peak) = peak_heap(|| zstd::decompress_exact("TOC", &bomb, 13946, MAX_TOC));
    assert!(
        matches!(
            res,
            Err(Error::Overlong {
                expected: 13946,
                ..
            })
        ),
        "{res:?}"
    );
    assert!(peak < 40 * MIB, "peak heap {} MiB", peak / MIB);

    // Concatenated bombs: the limit is over the whole stream, not per frame.
    let mut many = Vec::new();
    for _ in 0..8 {
        many.extend_from_slice(&bomb);
    }
    assert!(matches!(
        zstd::decompress("bombs", &many, 4 * MIB),
        Err(Error::TooLarge { .. })
    ));

    // Through the inspection: a bomb as the TOC, correctly digested, declared 13,946 bytes.
    let l = tiny();
    let prefix = &l.blob[..(l.toc_position().offset - 8) as usize];
    let r = assemble(prefix, &bomb, 13946, None);
    let t = Instant::now();
    let (err, peak) = peak_heap(|| feed_error(&r.descriptor(), ALL, &r.blob));
    assert!(matches!(err, Error::Overlong { .. }), "{err:?}");
    assert!(t.elapsed() < Duration::from_secs(10));
    assert!(
        peak < 40 * MIB + 2 * l.blob.len() as u64,
        "peak heap {} MiB",
        peak / MIB
    );
}

/// Decoded tar-split lines of a layer, as JSON values.
fn tarsplit_lines(l: &FixtureLayer) -> Vec<Value> {
    l.tarsplit_via_cli()
        .unwrap()
        .split(|&b| b == b'\n')
        .filter(|s| !s.is_empty())
        .map(|s| serde_json::from_slice(s).unwrap())
        .collect()
}

fn join_lines(lines: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in lines {
        out.extend(serde_json::to_vec(v).unwrap());
        out.push(b'\n');
    }
    out
}

fn toc_value(l: &FixtureLayer) -> Value {
    serde_json::from_slice(&l.toc_json_via_cli()).unwrap()
}

/// Inspects a rebuilt layer; returns the failed checks and their details. Asserts no error.
fn failed_checks(r: &Rebuilt) -> BTreeMap<CheckName, String> {
    let (err, done) = drive(&r.descriptor(), ALL, &r.blob);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(done.report.error, None);
    done.report
        .checks
        .iter()
        .filter(|(_, c)| !c.passed())
        .map(|(k, c)| (*k, c.detail.clone().unwrap_or_default()))
        .collect()
}

#[test]
fn control_an_unmodified_rebuild_passes_every_check() {
    for l in [tiny(), layer("pair-a", 2)] {
        let r = rebuild(&l, toc_value(&l), &join_lines(&tarsplit_lines(&l)));
        assert_eq!(failed_checks(&r), BTreeMap::new(), "{}", l.name());
        // And the rebuild re-serialized every line: the tar size is unchanged.
        let (_, done) = drive(&r.descriptor(), ALL, &r.blob);
        let want = checker_report(l.fixture, &l.desc.digest)["uncompressed_tar_bytes"].as_u64();
        assert_eq!(done.report.tar_split.unwrap().tar_size, want);
    }
}

#[test]
fn tarsplit_records_that_disagree_with_the_toc() {
    let l = tiny();
    // 1. A file record renamed in the tar-split (the tar header and TOC keep the old name).
    let mut lines = tarsplit_lines(&l);
    let i = lines
        .iter()
        .position(|v| v["type"] == 1 && v["name"] == "usr/bin/hello")
        .expect("usr/bin/hello record");
    lines[i]["name"] = "usr/bin/hello-renamed".into();
    let r = rebuild(&l, toc_value(&l), &join_lines(&lines));
    let failed = failed_checks(&r);
    // containers/storage does not compare file records (asm.IterateHeaders skips them), so the
    // TOC check passes; chunkscope's own record check catches it.
    assert_eq!(
        failed.keys().collect::<Vec<_>>(),
        [&CheckName::TarsplitRecordsMatchHeaders],
        "{failed:?}"
    );
    assert!(
        failed[&CheckName::TarsplitRecordsMatchHeaders].contains("hello-renamed"),
        "{failed:?}"
    );

    // 2. The TOC says a different mode than the tar header.
    let mut toc = toc_value(&l);
    let e = toc["entries"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["name"] == "usr/bin/hello")
        .unwrap();
    e["mode"] = 0o600.into();
    let r = rebuild(&l, toc, &join_lines(&tarsplit_lines(&l)));
    let failed = failed_checks(&r);
    assert_eq!(
        failed.keys().collect::<Vec<_>>(),
        [&CheckName::TocMatchesTarsplit]
    );
    assert!(
        failed[&CheckName::TocMatchesTarsplit]
            .contains("TOC and tar-split metadata doesn\u{2019}t match: mismatch of Mode: '\u{180}' != '\u{1ed}'"),
        "{failed:?}"
    );

    // 3. An entry missing from the TOC (a directory, so no chunk extents change).
    let mut toc = toc_value(&l);
    toc["entries"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["name"] != "empty-dir/");
    let r = rebuild(&l, toc, &join_lines(&tarsplit_lines(&l)));
    let failed = failed_checks(&r);
    assert!(
        failed[&CheckName::TocMatchesTarsplit].contains("empty-dir/"),
        "{failed:?}"
    );
}

#[test]
fn chunk_extent_beyond_the_toc() {
    let l = tiny();
    let toc_at = l.toc_position().offset;
    // The last file's endOffset points into the metadata (past the TOC's frame header).
    let mut toc = toc_value(&l);
    let e = toc["entries"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .rev()
        .find(|e| e["type"] == "reg" && e.get("endOffset").is_some())
        .unwrap();
    e["endOffset"] = (toc_at + 1000).into();
    let r = rebuild(&l, toc, &join_lines(&tarsplit_lines(&l)));
    let failed = failed_checks(&r);
    assert_eq!(
        failed.keys().collect::<Vec<_>>(),
        [&CheckName::ChunkExtents],
        "{failed:?}"
    );
    assert!(
        failed[&CheckName::ChunkExtents].contains("past the metadata"),
        "{failed:?}"
    );

    // A chunk that starts before the previous one: no positive extent.
    let mut toc = toc_value(&l);
    let entries = toc["entries"].as_array_mut().unwrap();
    let k = entries.iter().position(|e| e["type"] == "chunk").unwrap();
    let prev = entries[k - 1]["offset"].as_u64().unwrap();
    entries[k]["offset"] = (prev - 1).into();
    let r = rebuild(&l, toc, &join_lines(&tarsplit_lines(&l)));
    let failed = failed_checks(&r);
    assert!(failed.contains_key(&CheckName::ChunkExtents), "{failed:?}");
}

// ---------------------------------------------------------------------------------------------
// Bugs found by the fuzz targets (inputs in fuzz/regressions/), kept as regression tests: each
// overflowed (a panic in debug builds, wrong numbers in release) before its fix.

/// A 72-byte blob that is only a current footer whose TOC and tar-split end at u64::MAX.
#[test]

fn footer_positions_near_u64_max_do_not_panic() {
    let mut blob = skippable_header(64).to_vec();
    for x in [u64::MAX, 1, 10, 1, u64::MAX, 1, 10] {
        blob.extend(x.to_le_bytes());
    }
    blob.extend(b"GNUlInUx");
    let desc = descriptor_for(&blob, BTreeMap::new());
    let (err, done) = drive(&desc, ALL, &blob);
    assert!(err.is_some() || done.report.checks.values().any(|c| !c.passed()));
}

/// A correctly authenticated TOC whose two files claim extents up to u64::MAX.
#[test]

fn huge_extents_do_not_overflow_the_counts() {
    let l = tiny();
    let mut toc = toc_value(&l);
    for e in toc["entries"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .filter(|e| e["type"] == "reg" && e.get("endOffset").is_some())
        .take(2)
    {
        // The largest value the TOC parser accepts (2^53): far past the blob, no overflow.
        e["endOffset"] = (1u64 << 53).into();
    }
    let r = rebuild(&l, toc.clone(), &join_lines(&tarsplit_lines(&l)));
    let failed = failed_checks(&r);
    assert!(failed.contains_key(&CheckName::ChunkExtents), "{failed:?}");
    // Anything larger is refused as a TOC error, not carried into arithmetic.
    for e in toc["entries"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .filter(|e| e["type"] == "reg" && e.get("endOffset").is_some())
        .take(1)
    {
        e["endOffset"] = u64::MAX.into();
    }
    let r = rebuild(&l, toc, &join_lines(&tarsplit_lines(&l)));
    let (err, _) = drive(&r.descriptor(), ALL, &r.blob);
    assert!(
        matches!(&err, Some(Error::Toc(m)) if m.contains("2^53")),
        "{err:?}"
    );
}

/// A correctly authenticated tar-split whose file sizes add up to nearly 2^64, then a segment
/// that pushes the total over.
#[test]

fn tarsplit_segment_after_huge_files_is_an_error() {
    use base64::Engine as _;
    let l = tiny();
    let mut lines = tarsplit_lines(&l);
    let end = lines.pop().unwrap(); // the final segment: padding and EOF blocks
    let end_len = base64::engine::general_purpose::STANDARD
        .decode(end["payload"].as_str().unwrap())
        .unwrap()
        .len() as u64;
    let before = 661_504 - end_len; // the tar size without the final segment
    let x1 = i64::MAX as u64;
    let x2 = u64::MAX - before - x1 - (end_len - 1); // the sum fits; the final segment overflows it
    for (name, size) in [("x1", x1), ("x2", x2)] {
        lines.push(serde_json::json!({"type": 1, "name": name, "size": size, "payload": null, "position": 0}));
    }
    lines.push(end);
    let r = rebuild(&l, toc_value(&l), &join_lines(&lines));
    let (err, _) = drive(&r.descriptor(), ALL, &r.blob);
    assert!(matches!(err, Some(Error::TarSplit(_))), "{err:?}");
}

/// File records whose sizes overflow u64 on their own: a typed error (this one is handled).
#[test]
fn tarsplit_file_sizes_overflowing_are_an_error() {
    let l = tiny();
    let mut lines = tarsplit_lines(&l);
    for name in ["x1", "x2", "x3"] {
        lines.push(serde_json::json!({"type": 1, "name": name, "size": i64::MAX, "payload": null, "position": 0}));
    }
    let r = rebuild(&l, toc_value(&l), &join_lines(&lines));
    match drive(&r.descriptor(), ALL, &r.blob).0 {
        Some(Error::TarSplit(m)) => assert!(m.contains("overflow"), "{m}"),
        other => panic!("{other:?}"),
    }
}
