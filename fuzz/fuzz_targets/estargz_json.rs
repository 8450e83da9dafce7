//! Fuzz target: see `chunkscope_fuzz::estargz_json` (fuzz/src/lib.rs) for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| chunkscope_fuzz::estargz_json(data));
