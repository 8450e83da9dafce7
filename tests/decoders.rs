//! The fast paths give what the plain ones give: libzstd (native `libzstd` feature) against
//! ruzstd, and the tar-split checked with its decoding on a second thread against the same work
//! on one thread, on every fixture layer and on broken inputs (same results, same errors).

mod core_support;

use chunkscope::format::tarsplit;
use chunkscope::format::toc;
use chunkscope::format::zstd::{self, Backend};
use chunkscope::Error;
use core_support::*;

const LIMIT: u64 = 1 << 30;

/// Every decoder this build has.
fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Ruzstd];
    #[cfg(feature = "libzstd")]
    v.push(Backend::Libzstd);
    v
}

/// The error's variant and its typed fields, minus the decoder's own wording of a zstd error.
fn shape(r: &chunkscope::Result<Vec<u8>>) -> String {
    match r {
        Ok(v) => format!("ok {} bytes", v.len()),
        Err(Error::Zstd { what, .. }) => format!("zstd error in {what}"),
        Err(e) => format!("{e:?}"),
    }
}

#[test]
fn libzstd_is_the_native_default() {
    assert_eq!(zstd::LIBZSTD, cfg!(feature = "libzstd"));
    #[cfg(feature = "libzstd")]
    assert_eq!(Backend::best(), Backend::Libzstd);
}

#[test]
fn decoders_agree_on_every_fixture_toc_and_tar_split() {
    let layers = all_layers();
    assert!(layers.len() >= 10, "fixtures missing");
    let mut checked = 0;
    for l in &layers {
        let t = l.toc_position();
        let bytes = l.bytes(t);
        let want = toc_via_cli(l);
        for b in backends() {
            let got = zstd::decompress_exact_with(b, "TOC", bytes, t.uncompressed_length, LIMIT)
                .unwrap_or_else(|e| panic!("{} {b:?}: {e}", l.name()));
            assert_eq!(got, want, "{} {b:?}", l.name());
        }
        if let Some(s) = l.tarsplit_position() {
            let want = l.tarsplit_via_cli().expect("tar-split");
            for b in backends() {
                let mut got = Vec::new();
                zstd::for_each_line_exact_with(
                    b,
                    "tar-split",
                    l.bytes(s),
                    s.uncompressed_length,
                    LIMIT,
                    |line| {
                        got.extend_from_slice(line);
                        got.push(b'\n');
                        Ok(())
                    },
                )
                .unwrap_or_else(|e| panic!("{} {b:?}: {e}", l.name()));
                // The last line's '\n' is added back even when the data has none.
                if want.last() != Some(&b'\n') {
                    got.pop();
                }
                assert_eq!(got, want, "{} {b:?}", l.name());
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 5,
        "only {checked} fixture layers have a tar-split"
    );
}

fn toc_via_cli(l: &FixtureLayer) -> Vec<u8> {
    l.toc_json_via_cli()
}

#[test]
fn decoders_agree_on_broken_input() {
    let l = layer("pair-a", 1);
    let t = l.toc_position();
    let good = l.bytes(t).to_vec();
    let n = t.uncompressed_length;
    let mut cases: Vec<(&str, Vec<u8>, u64)> = vec![
        ("good", good.clone(), n),
        ("declared one short", good.clone(), n - 1),
        ("declared one long", good.clone(), n + 1),
        ("declared zero", good.clone(), 0),
        ("truncated", good[..good.len() - 5].to_vec(), n),
        ("stray bytes", [&good[..], b"ab"].concat(), n),
        ("garbage", b"not zstd at all, not at all".to_vec(), 10),
        ("empty", Vec::new(), 0),
        ("empty, declared 5", Vec::new(), 5),
        ("two frames", [&good[..], &good[..]].concat(), 2 * n),
        (
            "skippable frame between",
            [&good[..], &skippable_header(3)[..], b"xyz", &good[..]].concat(),
            2 * n,
        ),
        (
            "truncated skippable frame",
            [&good[..], &skippable_header(30)[..], b"xyz"].concat(),
            n,
        ),
    ];
    // A zstd bomb: 64 MiB of zeros in a few KB, against a small declared length.
    let bomb = zstd_cli(&["-c", "-19"], &vec![0u8; 64 << 20]);
    cases.push(("bomb", bomb, 1 << 20));
    // A frame whose content checksum is wrong: ruzstd does not check it, so libzstd must not.
    let mut bad_sum = zstd_cli(&["-c", "--check"], b"hello, checksum");
    let last = bad_sum.len() - 1;
    bad_sum[last] ^= 0xFF;
    cases.push(("wrong content checksum", bad_sum, 15));
    for (name, input, expected) in &cases {
        let shapes: Vec<String> = backends()
            .into_iter()
            .map(|b| {
                shape(&zstd::decompress_exact_with(
                    b, "TOC", input, *expected, LIMIT,
                ))
            })
            .collect();
        assert!(
            shapes.windows(2).all(|w| w[0] == w[1]),
            "{name}: {shapes:?}"
        );
        // The line reader gives the same outcome.
        for b in backends() {
            let r = zstd::for_each_line_exact_with(b, "TOC", input, *expected, LIMIT, |_| Ok(()));
            let s = shape(&r.map(|()| vec![0u8; *expected as usize]));
            assert_eq!(s, shapes[0], "{name} {b:?} (lines)");
        }
    }
    assert_eq!(
        shape(&zstd::decompress_exact("TOC", &cases[12].1, 1 << 20, LIMIT)),
        format!(
            "{:?}",
            Error::Overlong {
                what: "TOC".into(),
                expected: 1 << 20
            }
        )
    );
}

/// Every fixture's tar-split, and broken ones, checked on two threads and on one: equal.
#[test]
fn threaded_tar_split_check_equals_the_one_thread_check() {
    let mut checked = 0;
    for l in all_layers() {
        let Some(s) = l.tarsplit_position() else {
            continue;
        };
        let t = l.toc_position();
        let json =
            zstd::decompress_exact("TOC", l.bytes(t), t.uncompressed_length, LIMIT).expect("TOC");
        let toc = toc::parse(&json).expect("TOC parses");
        let raw = l.tarsplit_via_cli().expect("tar-split");
        let mut broken_line = raw.clone();
        if let Some(p) = broken_line.iter().position(|&b| b == b'{') {
            broken_line[p] = b'[';
        }
        let cases: Vec<(&str, Vec<u8>, u64)> = vec![
            ("as written", l.bytes(s).to_vec(), s.uncompressed_length),
            (
                "declared one long",
                l.bytes(s).to_vec(),
                s.uncompressed_length + 1,
            ),
            (
                "declared one short",
                l.bytes(s).to_vec(),
                s.uncompressed_length - 1,
            ),
            (
                "truncated",
                l.bytes(s)[..s.length as usize / 2].to_vec(),
                s.uncompressed_length,
            ),
            (
                "a line that is not a JSON object",
                zstd_compress(&broken_line),
                broken_line.len() as u64,
            ),
            (
                "a line that is not a JSON object, and a wrong length",
                zstd_compress(&broken_line),
                broken_line.len() as u64 + 7,
            ),
            // More lines than a batch holds, several times over, each piece checked once more.
            (
                "the tar-split three times",
                zstd_compress(&raw.repeat(3)),
                3 * raw.len() as u64,
            ),
        ];
        for (name, input, expected) in &cases {
            let one = tarsplit::check_in_turn(&toc, input, *expected, LIMIT);
            let two = tarsplit::check_threaded(&toc, input, *expected, LIMIT);
            assert_eq!(
                format!("{one:?}"),
                format!("{two:?}"),
                "{} {name}",
                l.name()
            );
            if *name == "as written" {
                let (_, corr) = two.expect("the fixture's tar-split checks");
                assert_eq!(corr.tar_members, corr.toc_entries, "{}", l.name());
            }
        }
        checked += 1;
    }
    assert!(
        checked >= 5,
        "only {checked} fixture layers have a tar-split"
    );
}
