//! The downstream crate in a real browser (headless Chromium): chunkscope's core inspects a
//! fixture layer from memory inside another crate's wasm module.

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const BLOB: &[u8] = include_bytes!(
    "../../../tests/fixtures/tiny-current/blobs/sha256/9e0ca0b5125358ade0e8b1d2d461a81b104ab73f8c69f20374a1c9cb06941fe5"
);
const MANIFEST: &str = include_str!(
    "../../../tests/fixtures/tiny-current/blobs/sha256/ebd7284e184f9c0042193bb2a51272d4c225bb187a5e5401f977145cc4ce9bdc"
);

fn layer_descriptor() -> String {
    let m: serde_json::Value = serde_json::from_str(MANIFEST).unwrap();
    m["layers"][0].to_string()
}

#[wasm_bindgen_test]
fn a_fixture_layer_is_inspected_from_memory() {
    let s = chunkscope_downstream_example::layer_summary(&layer_descriptor(), BLOB).unwrap();
    // tiny-current: 76 TOC entries, 44 regular files; the TOC (3,468 B) and tar-split
    // (3,418 B) read as one range with the 8 bytes between them.
    assert_eq!(s, "zstd:chunked 76 entries, 44 files, 6894 bytes read");
}

#[wasm_bindgen_test]
fn a_cut_blob_is_an_error_not_a_panic() {
    let e = chunkscope_downstream_example::layer_summary(&layer_descriptor(), &BLOB[..1000])
        .unwrap_err()
        .as_string()
        .unwrap();
    assert!(e.starts_with("format: "), "{e}");
}
