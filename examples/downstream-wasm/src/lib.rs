//! An example downstream crate: its own `#[wasm_bindgen]` function built on chunkscope's sans-IO
//! core. It inspects a zstd:chunked layer that the page already holds in memory and returns a
//! short summary (TOC and tar-split read, verified and checked against each other); nothing here
//! touches the network.

use chunkscope::inspect::{inspect_layer_blocking, InspectOptions};
use chunkscope::oci::Descriptor;
use chunkscope::Error;
use wasm_bindgen::prelude::*;

/// `"<format> <entries> entries, <files> files, <bytes read> bytes read"` for a layer blob and
/// its OCI descriptor (JSON). Rejects with the error's kind and message when the descriptor is
/// not JSON or the layer cannot be read.
#[wasm_bindgen(js_name = layerSummary)]
pub fn layer_summary(descriptor_json: &str, blob: &[u8]) -> Result<String, JsValue> {
    let desc: Descriptor = serde_json::from_str(descriptor_json)
        .map_err(|e| JsValue::from_str(&format!("input: descriptor: {e}")))?;
    let opts = InspectOptions {
        tar_split: true,
        ..InspectOptions::default()
    };
    let layer = inspect_layer_blocking(&desc, opts, |r| {
        let end = usize::try_from(r.end()).ok();
        let start = usize::try_from(r.offset).ok();
        match (start, end) {
            (Some(s), Some(e)) if e <= blob.len() => Ok(blob[s..e].to_vec()),
            _ => Err(Error::Truncated {
                what: "layer blob",
                needed: r.end(),
                got: blob.len() as u64,
            }),
        }
    });
    let r = layer.report;
    if let Some(e) = r.error {
        return Err(JsValue::from_str(&format!("{}: {e}", e.kind())));
    }
    Ok(format!(
        "{} {} entries, {} files, {} bytes read",
        r.format, r.entries, r.files, r.bytes_read
    ))
}
