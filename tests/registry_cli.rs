//! The native CLI against the real registry started by `scripts/test.sh` (CNCF distribution with
//! CORS, and nginx fronts that answer ranges like S3/minio or ignore them).
//!
//! Proves that `docker://` sources go through the same logic as local layouts (identical layer
//! reports), that only single absolute ranges are sent, that S3-like fronts are read fine, and that
//! a server ignoring Range is stopped. The registry's address comes from the environment; without
//! it these tests fail (run them with `npm test`).

mod core_support;

use core_support::{cli, docker, required_env};

const IMAGES: [(&str, &str); 6] = [
    ("tiny-current", "tiny"),
    ("tiny-legacy", "tiny"),
    ("pair-a", "pair-a"),
    ("pair-b", "pair-b"),
    ("pair-a-legacy", "pair-a"),
    ("pair-b-legacy", "pair-b"),
];

#[test]
fn registry_and_layout_give_the_same_layer_reports() {
    let reg = required_env("REGISTRY_URL");
    for (dir, tag) in IMAGES {
        let (code, remote, err) = cli(&[
            "inspect",
            "--json",
            "--insecure",
            &docker(&reg, &format!("{dir}:{tag}")),
        ]);
        assert_eq!(code, 0, "{dir}: {err}");
        let (code, local, err) = cli(&[
            "inspect",
            "--json",
            &format!("oci:tests/fixtures/{dir}:{tag}"),
        ]);
        assert_eq!(code, 0, "{dir}: {err}");
        for k in [
            "layers",
            "manifestDigest",
            "configDigest",
            "diffIds",
            "bytesRead",
            "reads",
        ] {
            assert_eq!(remote[k], local[k], "{dir}: {k}");
        }
        // manifest + config + exactly one metadata request per layer.
        let layers = remote["layers"].as_array().unwrap().len();
        assert_eq!(
            remote["requests"].as_u64().unwrap() as usize,
            2 + layers,
            "{dir}: {}",
            remote["requestLog"]
        );
    }
}

#[test]
fn only_single_absolute_ranges_are_sent() {
    let reg = required_env("LOG_URL");
    for (dir, tag) in IMAGES {
        let (code, r, err) = cli(&[
            "inspect",
            "--json",
            "--insecure",
            &docker(&reg, &format!("{dir}:{tag}")),
        ]);
        assert_eq!(code, 0, "{dir}: {err}");
        for req in r["requestLog"].as_array().unwrap() {
            if let Some(range) = req["range"].as_str() {
                let (a, b) = range
                    .strip_prefix("bytes=")
                    .unwrap()
                    .split_once('-')
                    .unwrap();
                let (a, b): (u64, u64) = (a.parse().unwrap(), b.parse().unwrap());
                assert!(a <= b, "{range}");
                assert_eq!(
                    req["bytes"].as_u64().unwrap(),
                    b - a + 1,
                    "{dir}: body bytes = range length"
                );
                assert_eq!(req["status"], 206);
            }
        }
    }
}

#[test]
fn s3_like_front_is_read_with_single_ranges() {
    // max_ranges 1: multi-range requests get 200 + the whole blob; chunkscope never sends one.
    let front = required_env("RANGE1_URL");
    let (code, r, err) = cli(&[
        "inspect",
        "--json",
        "--insecure",
        &docker(&front, "pair-b:latest"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["bytesRead"], 79_463 + 101_335);
    assert!(r["requestLog"]
        .as_array()
        .unwrap()
        .iter()
        .all(|q| q["aborted"] == false));
}

#[test]
fn server_ignoring_range_is_refused_not_read() {
    let front = required_env("RANGE0_URL");
    let (code, r, _) = cli(&[
        "inspect",
        "--json",
        "--insecure",
        &docker(&front, "pair-b:latest"),
    ]);
    assert_eq!(code, 1);
    for l in r["layers"].as_array().unwrap() {
        assert_eq!(l["error"]["kind"], "range-ignored", "{}", l["error"]);
        assert_eq!(l["error"]["status"], 200, "{}", l["error"]);
    }
    let metadata: Vec<_> = r["requestLog"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["purpose"] == "metadata")
        .collect();
    // One retry per layer (a first-200 registry answers the second try), then refused.
    assert_eq!(metadata.len(), 4);
    assert!(
        metadata
            .iter()
            .all(|q| q["aborted"] == true && q["bytes"] == 0),
        "{metadata:?}"
    );
}

#[test]
fn unknown_images_fail_in_one_line() {
    let reg = required_env("REGISTRY_URL");
    let (code, _, err) = cli(&["inspect", "--insecure", &docker(&reg, "pair-b:no-such-tag")]);
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("404") && err.contains("not found"), "{err}");
    // the registry's error code tells a missing tag from a missing repository (distribution
    // answers MANIFEST_UNKNOWN for both on the manifest; its tag list says NAME_UNKNOWN)
    assert!(
        err.contains("MANIFEST_UNKNOWN")
            && err.contains("repository pair-b has no manifest no-such-tag"),
        "{err}"
    );
    let (code, _, err) = cli(&[
        "inspect",
        "--insecure",
        &docker(&reg, "no-such-repo:latest"),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("NAME_UNKNOWN") && err.contains("repository no-such-repo does not exist"),
        "{err}"
    );
}
