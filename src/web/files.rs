//! `readFile`: one file's frames, in one range, decompressed and verified.

use super::{from_js, js_err, JsResult, Target};
use crate::error::Error;
use crate::format::digest::Digest;
use crate::format::layer_format::LayerFormat;
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
    format: Option<LayerFormat>,
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
    check_extent(args.size, args.offset, args.length, args.layer_size)?;
    let mut client = args.target.client()?;
    let compressed = if args.length == 0 {
        Vec::new()
    } else {
        let range = ByteRange {
            offset: args.offset,
            length: args.length,
        };
        client
            .blob_range(
                &args.layer_digest,
                range,
                args.layer_size,
                crate::registry::RequestPurpose::File,
            )
            .await
            .map_err(js_err)?
    };
    let (bytes, verified) =
        decode_verify(&compressed, args.size, args.digest.as_deref(), args.format)?;
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

/// `sniff(bytes)` → `"zstd" | "gzip" | "tar" | "unknown"`: what a local file is from its first
/// bytes (pass at least its first 512, e.g. `blob.slice(0, 512)`), by magic numbers — a zstd
/// frame, a gzip member, a tar header, or none of them (not a layer).
#[wasm_bindgen(js_name = sniff, unchecked_return_type = "Sniffed")]
pub fn sniff_js(bytes: &[u8]) -> String {
    crate::format::sniff::sniff(bytes).as_str().to_string()
}

/// The checks of a file's extent, from an untrusted TOC, before anything is read.
fn check_extent(
    size: u64,
    offset: u64,
    length: u64,
    layer_size: Option<u64>,
) -> Result<(), JsValue> {
    if size > MAX_PREVIEW {
        return Err(js_err(Error::TooLarge {
            what: "file preview".into(),
            size,
            limit: MAX_PREVIEW,
        }));
    }
    // The compressed span comes from an untrusted TOC: bound it by what `size` can need (zstd
    // never expands data by more than a small factor) and by the blob.
    let max_compressed = size + size / 64 + (64 << 10);
    if length > max_compressed {
        return Err(js_err(Error::TooLarge {
            what: "file's compressed extent".into(),
            size: length,
            limit: max_compressed,
        }));
    }
    if let Some(layer_size) = layer_size {
        if offset
            .checked_add(length)
            .is_none_or(|end| end > layer_size)
        {
            return Err(js_err(Error::Layout(format!(
                "file extent {}+{} lies outside the {layer_size}-byte blob",
                offset, length
            ))));
        }
    }
    if length == 0 && size > 0 {
        return Err(js_err(Error::Layout(format!(
            "a {}-byte file with no compressed extent",
            size
        ))));
    }
    Ok(())
}

/// The file's bytes, decompressed (bounded by `size`), and checked against the TOC `digest`:
/// `true` when it matched, `null` when the TOC gives none (a mismatch is an error).
fn decode_verify(
    compressed: &[u8],
    size: u64,
    digest: Option<&str>,
    format: Option<LayerFormat>,
) -> Result<(Vec<u8>, JsValue), JsValue> {
    let bytes = if compressed.is_empty() {
        Vec::new()
    } else {
        // eStargz payloads are gzip members (or zstd frames behind a gzip-less stargz layout)
        let to_next_payload = format.is_some_and(LayerFormat::is_estargz_family)
            || compressed.starts_with(&[0x1f, 0x8b]);
        if to_next_payload {
            estargz::payload_prefix("file", compressed, size, MAX_PREVIEW)
        } else {
            zstd::decompress_exact("file", compressed, size, MAX_PREVIEW)
        }
        .map_err(js_err)?
    };
    let verified = match digest.filter(|d| !d.is_empty()) {
        Some(d) => {
            Digest::parse(d)
                .map_err(js_err)?
                .verify("file", &bytes)
                .map_err(js_err)?;
            JsValue::TRUE
        }
        None => JsValue::NULL,
    };
    Ok((bytes, verified))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct BlobFileArgs {
    offset: u64,
    length: u64,
    size: u64,
    digest: Option<String>,
}

/// `readBlobFile(blob, {offset, length, size, digest})` → `{bytes, verified, bytesFetched,
/// requests}`: `readFile` for a local layer blob, its compressed extent read with one
/// `Blob.slice`, decompressed and checked against the TOC digest the same way.
#[wasm_bindgen(js_name = readBlobFile, unchecked_return_type = "FileContent")]
pub async fn read_blob_file_js(
    blob: web_sys::Blob,
    #[wasm_bindgen(unchecked_param_type = "ReadBlobFileOptions")] opts: JsValue,
) -> JsResult {
    let args: BlobFileArgs = from_js(opts, "readBlobFile")?;
    check_extent(
        args.size,
        args.offset,
        args.length,
        Some(blob.size() as u64),
    )?;
    let compressed = if args.length == 0 {
        Vec::new()
    } else {
        let slice = blob
            .slice_with_f64_and_f64(args.offset as f64, (args.offset + args.length) as f64)
            .map_err(|e| js_err(Error::Io(format!("{e:?}"))))?;
        let buf = wasm_bindgen_futures::JsFuture::from(slice.array_buffer())
            .await
            .map_err(|e| js_err(Error::Io(format!("reading the file: {e:?}"))))?;
        js_sys::Uint8Array::new(&buf).to_vec()
    };
    let (bytes, verified) = decode_verify(&compressed, args.size, args.digest.as_deref(), None)?;
    let out = js_sys::Object::new();
    let built = |r: Result<bool, JsValue>| {
        r.map(|_| ())
            .map_err(|_| js_err(Error::Internal("readBlobFile: building the result".into())))
    };
    built(js_sys::Reflect::set(
        &out,
        &"bytes".into(),
        &js_sys::Uint8Array::from(bytes.as_slice()).into(),
    ))?;
    built(js_sys::Reflect::set(&out, &"verified".into(), &verified))?;
    built(js_sys::Reflect::set(
        &out,
        &"bytesFetched".into(),
        &JsValue::from_f64(compressed.len() as f64),
    ))?;
    built(js_sys::Reflect::set(
        &out,
        &"requests".into(),
        &JsValue::from_f64(0.0),
    ))?;
    Ok(out.into())
}
