//! `readFile`: one file's frames, in one range, decompressed and verified.

use super::{from_js, js_err, JsResult, Target};
use crate::error::Error;
use crate::format::digest::Digest;
use crate::format::{estargz, zstd};
use crate::inspect::ByteRange;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ReadFileArgs {
    #[serde(flatten)]
    target: Target,
    layer_digest: String,
    layer_size: Option<u64>,
    /// Blob offset of the file's first chunk.
    offset: u64,
    /// Compressed length from the first chunk to the end of the last.
    length: u64,
    /// Uncompressed size (TOC `size`).
    size: u64,
    /// TOC `digest`.
    digest: Option<String>,
    /// The layer's `format` from its report: eStargz extents run to the next payload (they may
    /// hold the next tar headers), so only the first `size` bytes are taken.
    format: Option<String>,
}

/// Files larger than this are not previewed in the browser.
const MAX_PREVIEW: u64 = 64 << 20;

/// `readFile({registry, repository, layerDigest, offset, length, size, digest})` → `{bytes,
/// verified, bytesFetched, requests}`: one single-range read of the file's frames, decompressed
/// (bounded by `size`) and checked against the TOC digest.
#[wasm_bindgen(js_name = readFile, unchecked_return_type = "FileContent")]
pub async fn read_file_js(
    #[wasm_bindgen(unchecked_param_type = "ReadFileOptions")] opts: JsValue,
) -> JsResult {
    let args: ReadFileArgs = from_js(opts, "readFile")?;
    if args.size > MAX_PREVIEW {
        return Err(js_err(Error::TooLarge {
            what: "file preview".into(),
            size: args.size,
            limit: MAX_PREVIEW,
        }));
    }
    // The compressed span comes from an untrusted TOC: bound it by what `size` can need (zstd
    // never expands data by more than a small factor) and by the blob.
    let max_compressed = args.size + args.size / 64 + (64 << 10);
    if args.length > max_compressed {
        return Err(js_err(Error::TooLarge {
            what: "file's compressed extent".into(),
            size: args.length,
            limit: max_compressed,
        }));
    }
    if let Some(layer_size) = args.layer_size {
        if args
            .offset
            .checked_add(args.length)
            .is_none_or(|end| end > layer_size)
        {
            return Err(js_err(Error::Layout(format!(
                "file extent {}+{} lies outside the {layer_size}-byte blob",
                args.offset, args.length
            ))));
        }
    }
    if args.length == 0 && args.size > 0 {
        return Err(js_err(Error::Layout(format!(
            "a {}-byte file with no compressed extent",
            args.size
        ))));
    }
    let mut client = args.target.client()?;
    let bytes = if args.length == 0 {
        Vec::new()
    } else {
        let range = ByteRange {
            offset: args.offset,
            length: args.length,
        };
        let compressed = client
            .blob_range(
                &args.layer_digest,
                range,
                args.layer_size,
                crate::registry::RequestPurpose::File,
            )
            .await
            .map_err(js_err)?;
        let to_next_payload = matches!(
            args.format.as_deref(),
            Some("estargz" | "stargz-zstdchunked")
        ) || compressed.starts_with(&[0x1f, 0x8b]);
        if to_next_payload {
            estargz::payload_prefix("file", &compressed, args.size, MAX_PREVIEW)
        } else {
            zstd::decompress_exact("file", &compressed, args.size, MAX_PREVIEW)
        }
        .map_err(js_err)?
    };
    let verified = match args.digest.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => {
            Digest::parse(d)
                .map_err(js_err)?
                .verify("file", &bytes)
                .map_err(js_err)?;
            JsValue::TRUE
        }
        // No digest in the TOC (an empty file has none): nothing to verify against.
        None => JsValue::NULL,
    };
    let out = js_sys::Object::new();
    let set =
        |k: &str, v: JsValue| js_sys::Reflect::set(&out, &JsValue::from_str(k), &v).map(|_| ());
    set("bytes", js_sys::Uint8Array::from(bytes.as_slice()).into())
        .map_err(|_| js_err(Error::Internal("readFile: building the result".into())))?;
    set("verified", verified)
        .map_err(|_| js_err(Error::Internal("readFile: building the result".into())))?;
    set(
        "bytesFetched",
        JsValue::from_f64(client.bytes_fetched() as f64),
    )
    .map_err(|_| js_err(Error::Internal("readFile: building the result".into())))?;
    set("requests", JsValue::from_f64(client.log().len() as f64))
        .map_err(|_| js_err(Error::Internal("readFile: building the result".into())))?;
    Ok(out.into())
}
