//! Hostile servers and hostile layers: for each case a correct result or a typed error that
//! names the problem, no panic, no hang, bounded bytes.
//!
//! * Servers: the native CLI against `tests/registry/hostile_server.py` (started by
//!   `scripts/registry.sh`, `HOSTILE_URL`), one misbehaviour per repository name, with the
//!   stall limit at 2 s (`CHUNKSCOPE_TIMEOUT=2`). Without `HOSTILE_URL` these tests fail (run
//!   them with `npm test`).
//! * Layers: the sans-IO inspection over rebuilt copies of a real fixture layer (its payload
//!   frames, new metadata): lying TOC lengths, long names, invalid UTF-8, duplicate, `..` and
//!   absolute names, chunks outside the blob or overlapping, a tar-split claiming more than the
//!   blob, a TOC over the reference puller's limit.

mod core_support;

use chunkscope::inspect::eligibility::{PullOutcome, VerdictCode};
use chunkscope::inspect::report::CheckName;
use chunkscope::inspect::report::NotReadCode;
use chunkscope::inspect::{InspectOptions, LayerInspection, MAX_TOC};
use chunkscope::{Error, ErrorKind};
use core_support::*;
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;
/// The stall limit the CLI runs with here.
const STALL_SECS: u64 = 2;

fn hostile_url() -> String {
    std::env::var("HOSTILE_URL").unwrap_or_else(|_| {
        panic!("HOSTILE_URL is not set; run through scripts/test.sh (npm test), which starts tests/registry/hostile_server.py")
    })
}

struct Run {
    code: i32,
    json: Value,
    elapsed: Duration,
}

/// `chunkscope inspect --json docker://…/<case>:t`, stall limit 2 s.
fn inspect(case: &str) -> Run {
    let url = hostile_url();
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_chunkscope"))
        .args([
            "inspect",
            "--json",
            "--insecure",
            &format!("docker://{}/{case}:t", url.trim_start_matches("http://")),
        ])
        .env("CHUNKSCOPE_TIMEOUT", STALL_SECS.to_string())
        .output()
        .unwrap();
    let elapsed = t.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{case}: {stderr}");
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{case}: stdout is not JSON ({e}); stderr: {stderr}"));
    // Never a hang: each case ends within the stall limit plus a margin.
    assert!(
        elapsed < Duration::from_secs(STALL_SECS * 3 + 5),
        "{case}: took {elapsed:?}"
    );
    Run {
        code: out.status.code().unwrap_or(-1),
        json,
        elapsed,
    }
}

/// Bytes the server wrote for a case (everything it sent, whether read or not).
fn server_bytes(case: &str) -> u64 {
    let url = format!("{}/_hostile/stats/{case}", hostile_url());
    let body = ureq::get(&url).call().unwrap().into_string().unwrap();
    let v: Value = serde_json::from_str(&body).unwrap();
    v["bytes"].as_u64().unwrap()
}

/// The run's fatal error (`{"error": …}`, exit code 2).
fn fatal(r: &Run) -> &Value {
    assert_eq!(r.code, 2, "{}", r.json);
    let e = &r.json["error"];
    assert!(e.is_object(), "{}", r.json);
    e
}

/// The one layer's report (exit code as given).
fn layer_of(r: &Run, code: i32) -> &Value {
    assert_eq!(r.code, code, "{}", r.json);
    let layers = r.json["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 1);
    &layers[0]
}

fn one_line(e: &Value) {
    let m = e["message"].as_str().unwrap();
    assert_eq!(m.lines().count(), 1, "{m}");
}

#[test]
fn good_image_control() {
    let r = inspect("good");
    let l = layer_of(&r, 0);
    assert_eq!(l["partialPull"]["code"], "eligible");
    assert_eq!(r.json["requests"], 3);
}

#[test]
fn range_answered_with_200() {
    let r = inspect("range-200");
    let e = &layer_of(&r, 1)["error"];
    assert_eq!(e["kind"], "range-ignored");
    assert_eq!(e["status"], 200);
    assert_eq!(e["blobSize"], 330388);
    // The whole-blob bodies were cancelled unread.
    let log = r.json["requestLog"].as_array().unwrap();
    assert!(log
        .iter()
        .filter(|q| q["purpose"] == "metadata")
        .all(|q| q["aborted"] == true && q["bytes"] == 0));
    assert!(r.json["bytesFetched"].as_u64().unwrap() < 2048);
}

#[test]
fn range_with_a_short_body() {
    let r = inspect("range-short");
    let e = &layer_of(&r, 1)["error"];
    assert_eq!(e["kind"], "format");
    assert_eq!(
        (e["needed"].as_u64(), e["got"].as_u64()),
        (Some(6894), Some(3447))
    );
    one_line(e);
}

#[test]
fn range_with_an_over_long_body() {
    // Twice the bytes asked for: the range is taken, the rest is not read, the result is right.
    let r = inspect("range-long");
    let l = layer_of(&r, 0);
    assert_eq!(l["partialPull"]["code"], "eligible");
    assert_eq!(l["bytesRead"], 6894);
    let meta: u64 = r.json["requestLog"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["purpose"] == "metadata")
        .map(|q| q["bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(meta, 6894);
}

#[test]
fn range_with_a_content_range_for_other_bytes() {
    let r = inspect("range-other");
    let e = &layer_of(&r, 1)["error"];
    assert_eq!(e["kind"], "http-status");
    assert_eq!(e["status"], 206);
    assert!(e["url"].as_str().unwrap().contains("/range-other/blobs/"));
    one_line(e);
}

#[test]
fn range_answered_with_416() {
    let r = inspect("range-416");
    let e = &layer_of(&r, 1)["error"];
    assert_eq!(e["kind"], "http-status");
    assert_eq!(e["status"], 416);
    assert_eq!(
        layer_of(&r, 1)["partialPull"]["code"],
        "metadata-unreadable"
    );
}

#[test]
fn blob_answered_with_503() {
    let r = inspect("range-503");
    let e = fatal(&r);
    assert_eq!(e["kind"], "http-status");
    assert_eq!(e["status"], 503);
    one_line(e);
}

#[test]
fn stall_before_the_headers() {
    let r = inspect("stall-headers");
    let e = fatal(&r);
    assert_eq!(e["kind"], "network");
    assert_eq!(e["stage"], "headers");
    assert_eq!(e["seconds"], STALL_SECS);
    assert!(r.elapsed >= Duration::from_secs(STALL_SECS));
    assert!(
        r.elapsed < Duration::from_secs(STALL_SECS + 4),
        "{:?}",
        r.elapsed
    );
    // The message says the problem once: the URL once, "stalled" once.
    let m = e["message"].as_str().unwrap();
    assert_eq!(m.matches("http://").count(), 1, "{m}");
    assert_eq!(m.matches("stalled").count(), 1, "{m}");
}

#[test]
fn stall_in_the_middle_of_the_body() {
    let r = inspect("stall-body");
    let l = layer_of(&r, 1);
    let e = &l["error"];
    assert_eq!(e["kind"], "network");
    assert_eq!(e["stage"], "body");
    assert_eq!(e["seconds"], STALL_SECS);
    assert_eq!(l["partialPull"]["code"], "metadata-unreadable");
    assert!(
        r.elapsed < Duration::from_secs(STALL_SECS + 4),
        "{:?}",
        r.elapsed
    );
}

#[test]
fn redirect_loop() {
    let r = inspect("redirect-loop");
    let e = fatal(&r);
    assert_eq!(e["kind"], "http-status");
    assert_eq!(e["status"], 302);
    assert!(e["message"].as_str().unwrap().contains("redirect loop"));
}

#[test]
fn redirect_to_a_non_http_url() {
    // ureq 2 panicked on this one; now it is a typed error and nothing is fetched from there.
    let r = inspect("redirect-scheme");
    let e = fatal(&r);
    assert_eq!(e["kind"], "http-status");
    assert_eq!(e["status"], 302);
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("\"file:///etc/passwd\""));
}

#[test]
fn manifest_of_100_mb() {
    let r = inspect("manifest-huge");
    let e = fatal(&r);
    assert_eq!(e["kind"], "limit");
    assert_eq!(e["what"], "manifest");
    assert_eq!(e["size"], 100_000_000);
    assert_eq!(e["limit"], 4 << 20);
    assert!(r.elapsed < Duration::from_secs(5));
    // The client hung up after the 4 MiB limit: the server got rid of little more (socket
    // buffers), not the 100 MB.
    let sent = server_bytes("manifest-huge");
    assert!(sent < 24 * MIB, "server sent {sent} bytes");
}

#[test]
fn index_of_10000_platforms() {
    let r = inspect("index-10000");
    let l = layer_of(&r, 0);
    assert_eq!(l["partialPull"]["code"], "eligible");
    assert_eq!(r.json["platform"], "linux/amd64");
    assert!(r.elapsed < Duration::from_secs(5));
}

#[test]
fn descriptor_size_tiny() {
    let r = inspect("size-tiny");
    let l = layer_of(&r, 1);
    assert_eq!(l["error"]["kind"], "format");
    assert_eq!(l["reads"], 0, "nothing read outside the claimed blob");
}

#[test]
fn descriptor_size_huge() {
    let r = inspect("size-huge");
    let e = fatal(&r);
    assert_eq!(e["kind"], "limit");
    assert_eq!(e["size"], 1u64 << 62);
    assert_eq!(e["limit"], 1u64 << 53);
}

#[test]
fn descriptor_size_negative() {
    let r = inspect("size-negative");
    let e = fatal(&r);
    assert_eq!(e["kind"], "format");
    one_line(e);
}

#[test]
fn descriptor_size_over_2_pow_53() {
    let r = inspect("size-2p53");
    let e = fatal(&r);
    assert_eq!(e["kind"], "limit");
    assert_eq!(e["size"], (1u64 << 53) + 1);
}

#[test]
fn a_claimed_huge_toc_that_breaks_off_is_a_network_error() {
    // Annotations claiming a 120 MiB TOC (under the limit), its range answered 206 announcing
    // all of it, 4 KiB sent, then the connection closed.
    let r = inspect("toc-claims-120mib");
    let l = layer_of(&r, 1);
    assert_eq!(l["error"]["kind"], "network", "{l}");
    assert_eq!(l["reads"], 0, "{l}");
    assert_eq!(l["partialPull"]["code"], "metadata-unreadable", "{l}");
}

#[test]
fn tar_split_over_our_cap_is_not_read_and_not_an_error() {
    // The tarsplit-position annotation claims 9 GiB decompressed: over chunkscope's 8 GiB cap,
    // while podman has none. The layer is inspected as with --toc-only, and says why.
    let r = inspect("tarsplit-over-limit");
    let l = layer_of(&r, 0);
    assert_eq!(l["error"], Value::Null, "{l}");
    let nr = &l["tarSplit"]["notRead"];
    assert_eq!(nr["code"], "tar-split-over-limit", "{l}");
    assert_eq!(nr["what"], "tar-split (uncompressed)");
    assert_eq!(nr["size"], 9u64 << 30);
    assert_eq!(nr["limit"], chunkscope::inspect::MAX_TAR_SPLIT_DECODED);
    assert_eq!(l["partialPull"]["outcome"], "partial");
    assert_eq!(l["partialPull"]["code"], "tar-split-not-checked");
    assert!(l["checks"].get("toc_matches_tarsplit").is_none(), "{l}");
    // One read, the TOC's bytes alone (the tar-split after it is not fetched).
    assert_eq!(l["reads"], 1, "{l}");
    assert_eq!(l["bytesRead"], l["toc"]["length"], "{l}");
}

#[test]
fn toc_over_the_limit_through_a_registry() {
    // A 167 MiB TOC: what podman does (a full pull, never reading the TOC), not an error.
    let r = inspect("toc-over-limit");
    let l = layer_of(&r, 0);
    assert_eq!(l["error"], Value::Null);
    assert_eq!(l["partialPull"]["outcome"], "full-pull");
    assert_eq!(l["partialPull"]["code"], "toc-over-limit");
    assert_eq!(l["notRead"]["code"], "toc-over-limit");
    assert_eq!(l["notRead"]["what"], "TOC (compressed)");
    assert_eq!(l["notRead"]["size"], 167 * MIB);
    assert_eq!(l["notRead"]["limit"], MAX_TOC);
    assert_eq!(l["reads"], 0);
    assert_eq!(r.json["requests"], 2, "manifest and config only");
}

#[test]
fn toc_over_the_limit_inspect_and_plan_agree() {
    // `plan` said "pulled whole" while `inspect` exited 1; now both say what podman does.
    let url = hostile_url();
    let out = Command::new(env!("CARGO_BIN_EXE_chunkscope"))
        .args([
            "plan",
            "--json",
            "--insecure",
            &format!(
                "docker://{}/toc-over-limit:t",
                url.trim_start_matches("http://")
            ),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let p: Value = serde_json::from_slice(&out.stdout).unwrap();
    let l = &p["layers"][0];
    assert_eq!(l["verdict"]["code"], "toc-over-limit");
    assert_eq!(l["verdict"]["outcome"], "full-pull");
    assert_eq!(l["fetchBytes"], 200 * MIB);
    assert_eq!(p["totals"]["metadataRequests"], 0);
    let r = inspect("toc-over-limit");
    assert_eq!(layer_of(&r, 0)["partialPull"]["code"], l["verdict"]["code"]);
}

// ---------------------------------------------------------------------------------------------
// Hostile layers (sans-IO).

const TOC_ONLY: InspectOptions = InspectOptions {
    tar_split: false,
    footer: false,
    files: true,
};
const ALL: InspectOptions = InspectOptions {
    tar_split: true,
    footer: true,
    files: true,
};

fn tiny() -> FixtureLayer {
    layer("tiny-current", 1)
}

fn toc_value(l: &FixtureLayer) -> Value {
    serde_json::from_slice(&l.toc_json_via_cli()).unwrap()
}

/// A rebuilt layer with the TOC JSON bytes as given (compressed with the zstd CLI, declared
/// `declared` bytes uncompressed), no tar-split.
fn with_toc_bytes(l: &FixtureLayer, json: &[u8], declared: u64) -> Rebuilt {
    let prefix = &l.blob[..(l.toc_position().offset - 8) as usize];
    assemble(prefix, &zstd_compress(json), declared, None)
}

fn entries_mut(toc: &mut Value) -> &mut Vec<Value> {
    toc["entries"].as_array_mut().unwrap()
}

fn first_reg(toc: &mut Value) -> &mut Value {
    entries_mut(toc)
        .iter_mut()
        .find(|e| e["type"] == "reg" && e.get("offset").is_some())
        .unwrap()
}

#[test]
fn toc_declared_lengths_lie() {
    let l = tiny();
    let json = l.toc_json_via_cli();
    let n = json.len() as u64;
    // Declared shorter than it is: decoding stops at the declared length.
    let r = with_toc_bytes(&l, &json, n - 100);
    let (err, done) = drive(&r.descriptor(), TOC_ONLY, &r.blob);
    let err = err.expect("error");
    assert!(
        matches!(&err, Error::Overlong { expected, .. } if *expected == n - 100),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Verification);
    assert_eq!(done.report.partial_pull.code, VerdictCode::InvalidToc);
    // Declared longer than it is.
    let r = with_toc_bytes(&l, &json, n + 100);
    let (err, _) = drive(&r.descriptor(), TOC_ONLY, &r.blob);
    let err = err.expect("error");
    assert!(
        matches!(&err, Error::LengthMismatch { expected, actual, .. } if (*expected, *actual) == (n + 100, n)),
        "{err:?}"
    );
    // Declared compressed length past the blob's end: a layout error before any read.
    let mut ann = r.annotations.clone();
    let toc = r.toc;
    ann.insert(
        "io.github.containers.zstd-chunked.manifest-position".into(),
        format!("{}:{}:{}:1", toc.offset, r.blob.len() as u64, n),
    );
    let desc = descriptor_for(&r.blob, ann);
    let insp = LayerInspection::new(&desc, TOC_ONLY);
    assert_eq!(insp.next_read(), None);
    let e = insp.finish().report.error.expect("error");
    assert!(matches!(e, Error::Layout(_)), "{e:?}");
}

#[test]
fn toc_of_10000_entries_with_4_kib_names() {
    // 10,000 × 4 KiB names: a 41 MB TOC (its 1M-entry big brother is over the 150 MiB limit,
    // see toc_over_the_limit_*). Read, counted and listed in bounded time.
    let l = tiny();
    let mut toc = toc_value(&l);
    let template = entries_mut(&mut toc)
        .iter()
        .find(|e| e["type"] == "dir")
        .unwrap()
        .clone();
    let mut many = Vec::with_capacity(10_000);
    for i in 0..10_000 {
        let mut e = template.clone();
        e["name"] = format!("d/{i:05}-{}", "n".repeat(4090)).into();
        many.push(e);
    }
    entries_mut(&mut toc).extend(many);
    let json = serde_json::to_vec(&toc).unwrap();
    assert!(json.len() > 40_000_000);
    let r = with_toc_bytes(&l, &json, json.len() as u64);
    let t = Instant::now();
    let (err, done) = drive(&r.descriptor(), TOC_ONLY, &r.blob);
    assert!(err.is_none(), "{err:?}");
    assert!(done.report.entries >= 10_000);
    assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
}

#[test]
fn toc_with_invalid_utf8() {
    let l = tiny();
    let json = l.toc_json_via_cli();
    // A raw 0xFF byte inside the first name.
    let at = json.windows(8).position(|w| w == b"\"name\":\"").unwrap() + 8;
    let mut bad = json.clone();
    bad.insert(at, 0xFF);
    let r = with_toc_bytes(&l, &bad, bad.len() as u64);
    let (err, done) = drive(&r.descriptor(), TOC_ONLY, &r.blob);
    let err = err.expect("error");
    assert!(matches!(err, Error::Toc(_)), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Format);
    assert_eq!(done.report.partial_pull.outcome, PullOutcome::Fails);
}

/// Inspects a TOC edited by `edit` (the tar-split rebuilt unchanged).
fn edited_result(
    edit: impl FnOnce(&mut Value),
) -> (Option<Error>, chunkscope::inspect::InspectedLayer) {
    let l = tiny();
    let mut toc = toc_value(&l);
    edit(&mut toc);
    let r = rebuild(&l, toc, &l.tarsplit_via_cli().unwrap());
    drive(&r.descriptor(), ALL, &r.blob)
}

/// As [`edited_result`], asserting no error; returns the report.
fn edited(edit: impl FnOnce(&mut Value)) -> chunkscope::inspect::report::LayerReport {
    let (err, done) = edited_result(edit);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(done.report.error, None);
    done.report
}

fn failed(r: &chunkscope::inspect::report::LayerReport) -> Vec<CheckName> {
    r.checks
        .iter()
        .filter(|(_, c)| !c.passed())
        .map(|(k, _)| *k)
        .collect()
}

#[test]
fn toc_with_a_duplicate_name() {
    let r = edited(|toc| {
        let dup = first_reg(toc).clone();
        entries_mut(toc).push(dup);
    });
    // Read and shown; its chunk extent overlaps the original's, and the tar-split has the entry
    // once, so the reference refuses the layer.
    assert_eq!(
        failed(&r),
        [CheckName::ChunkExtents, CheckName::TocMatchesTarsplit]
    );
    assert_eq!(r.partial_pull.code, VerdictCode::TocTarSplitMismatch);
}

#[test]
fn toc_with_dotdot_and_absolute_names() {
    for name in ["../../etc/passwd", "/etc/shadow", "a/../../b"] {
        let r = edited(|toc| {
            first_reg(toc)["name"] = name.into();
        });
        let list = r.file_list.as_ref().unwrap();
        assert!(
            list.iter()
                .any(|f| f.path.contains("etc") || f.path.ends_with('b')),
            "{name}"
        );
        assert_eq!(failed(&r), [CheckName::TocMatchesTarsplit], "{name}");
        assert_eq!(r.partial_pull.outcome, PullOutcome::Fails, "{name}");
    }
}

#[test]
fn chunk_offsets_outside_the_blob() {
    // Past 2^53 (JSON numbers a browser cannot hold): a typed TOC error naming the entry.
    let (err, done) = edited_result(|toc| {
        let e = first_reg(toc);
        e["offset"] = (u64::MAX - 10).into();
        e["endOffset"] = u64::MAX.into();
    });
    let err = err.expect("error");
    assert!(
        matches!(&err, Error::Toc(m) if m.contains("larger than 2^53")),
        "{err:?}"
    );
    assert_eq!(done.report.partial_pull.code, VerdictCode::InvalidToc);
    // Past the blob's end: read, the chunk_extents check fails.
    let r = edited(|toc| {
        let e = first_reg(toc);
        e["offset"] = (1u64 << 40).into();
    });
    assert!(
        failed(&r).contains(&CheckName::ChunkExtents),
        "{:?}",
        r.checks
    );
}

#[test]
fn overlapping_chunks() {
    let r = edited(|toc| {
        let regs: Vec<usize> = entries_mut(toc)
            .iter()
            .enumerate()
            .filter(|(_, e)| e["type"] == "reg" && e.get("offset").is_some())
            .map(|(i, _)| i)
            .collect();
        let (a, b) = (regs[0], regs[1]);
        let src = entries_mut(toc)[a].clone();
        let e = &mut entries_mut(toc)[b];
        e["offset"] = src["offset"].clone();
        e["endOffset"] = src["endOffset"].clone();
    });
    assert!(
        failed(&r).contains(&CheckName::ChunkExtents),
        "{:?}",
        r.checks
    );
}

#[test]
fn tar_split_claiming_more_than_the_blob() {
    let l = tiny();
    let mut ann = l.desc.annotations.clone();
    let ts = l.tarsplit_position().unwrap();
    ann.insert(
        "io.github.containers.zstd-chunked.tarsplit-position".into(),
        format!(
            "{}:{}:{}",
            ts.offset,
            l.blob.len() as u64,
            ts.uncompressed_length
        ),
    );
    let desc = chunkscope::oci::Descriptor {
        annotations: ann,
        ..l.desc.clone()
    };
    let insp = LayerInspection::new(&desc, ALL);
    assert_eq!(insp.next_read(), None, "nothing read");
    let e = insp.finish().report.error.expect("error");
    assert!(matches!(e, Error::Layout(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Format);
}

#[test]
fn toc_over_the_limit_by_annotation_and_by_footer() {
    let l = tiny();
    // Annotation: 167 MiB compressed in a (claimed) 200 MiB blob. Not read, full pull, no error.
    let mut ann = l.desc.annotations.clone();
    let toc = 167 * MIB;
    ann.insert(
        "io.github.containers.zstd-chunked.manifest-position".into(),
        format!("{}:{toc}:{}:1", 8, toc + 1),
    );
    let desc = chunkscope::oci::Descriptor {
        annotations: ann,
        size: 200 * MIB,
        ..l.desc.clone()
    };
    let insp = LayerInspection::new(&desc, ALL);
    assert_eq!(insp.next_read(), None);
    let done = insp.finish();
    let r = &done.report;
    assert_eq!(r.error, None);
    assert_eq!(
        (r.partial_pull.outcome, r.partial_pull.code),
        (PullOutcome::FullPull, VerdictCode::TocOverLimit)
    );
    assert_eq!(done.verdict.code, VerdictCode::TocOverLimit);
    let nr = r.not_read.as_ref().unwrap();
    assert_eq!(
        (nr.code, nr.size, nr.limit),
        (NotReadCode::TocOverLimit, toc, MAX_TOC)
    );
    assert_eq!(r.toc.as_ref().unwrap().length, toc);
    let j = serde_json::to_value(r).unwrap();
    assert_eq!(j["notRead"]["code"], "toc-over-limit");
    assert_eq!(j["partialPull"]["code"], "toc-over-limit");
    assert!(j["partialPull"]["error"]
        .as_str()
        .unwrap()
        .contains("too big to process in memory"));

    // Footer (no annotations): the footer says 167 MiB; only the footer is read.
    let mut blob = l.blob.clone();
    let n = blob.len();
    blob[n - 64..n - 56].copy_from_slice(&8u64.to_le_bytes()); // TOC offset
    blob[n - 56..n - 48].copy_from_slice(&toc.to_le_bytes()); // TOC length
    let mut desc = descriptor_for(&blob, Default::default());
    desc.size = 200 * MIB;
    let mut insp = LayerInspection::new(&desc, ALL);
    let rd = insp.next_read().unwrap();
    assert_eq!((rd.offset, rd.length), (200 * MIB - 72, 72));
    insp.feed(&blob[n - 72..]).expect("no error");
    assert_eq!(insp.next_read(), None);
    let r = insp.finish().report;
    assert_eq!((r.error, r.reads), (None, 1));
    assert_eq!(r.partial_pull.outcome, PullOutcome::FullPull);
    assert_eq!(
        r.not_read.unwrap().what,
        chunkscope::inspect::report::TocSize::Compressed
    );
    assert!(r.partial_pull.reason.unwrap().contains("did not read it"));
}
