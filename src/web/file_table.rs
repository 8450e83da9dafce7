//! The columnar file table (`inspectImage({fileTable: true})`): a layer's file list as typed
//! arrays plus the names as one UTF-8 buffer, instead of one JS object per file. Handing JS
//! 150,000 objects through serde-wasm-bindgen costs about a second (most of it making strings);
//! a handful of typed arrays cost a copy each, can be transferred from a worker without copying,
//! and the page materialises only the rows it shows (`www/js/file-table.js`).

use crate::format::digest::Digest;
use crate::format::toc::EntryType;
use crate::model::FileEntry;
use wasm_bindgen::prelude::*;

/// Entry types by code (the `types` column), in this order (`www/js/file-table.js` `FILE_TYPES`,
/// `types.d.ts` `FileTypeCode`).
pub const TYPE_CODES: [&str; 7] = ["reg", "dir", "symlink", "hardlink", "char", "block", "fifo"];

/// What a row needs only when it is opened (details, preview, export), as one JSON object per
/// file, with the `fileList` names: `modtime`, `linkName`, `digest`, `xattrs`, `devMajor`,
/// `devMinor` (each left out when absent or empty), and `chunkDigests` (the chunks' digests in
/// order, `null` where one has none), left out when every chunk's digest is the file's `digest`
/// (a single-chunk file: most files).
fn write_extra(out: &mut Vec<u8>, f: &FileEntry) -> Result<(), crate::error::Error> {
    use std::io::Write;
    let e = &f.entry;
    let bad = |e: &dyn std::fmt::Display| crate::error::Error::Internal(format!("file table: {e}"));
    let mut sep = b'{';
    let mut key = |out: &mut Vec<u8>, k: &str| {
        out.push(sep);
        sep = b',';
        out.push(b'"');
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b"\":");
    };
    if let Some(m) = &e.modtime {
        key(out, "modtime");
        serde_json::to_writer(&mut *out, m.as_str()).map_err(|e| bad(&e))?;
    }
    if !e.link_name().is_empty() {
        key(out, "linkName");
        serde_json::to_writer(&mut *out, e.link_name()).map_err(|e| bad(&e))?;
    }
    if let Some(d) = &e.digest {
        key(out, "digest");
        write_digest(out, d);
    }
    if !e.xattrs().is_empty() {
        key(out, "xattrs");
        serde_json::to_writer(&mut *out, e.xattrs()).map_err(|e| bad(&e))?;
    }
    if matches!(e.kind, EntryType::Char | EntryType::Block) {
        key(out, "devMajor");
        write!(out, "{}", e.dev_major()).map_err(|e| bad(&e))?;
        key(out, "devMinor");
        write!(out, "{}", e.dev_minor()).map_err(|e| bad(&e))?;
    }
    let implied = f
        .chunks
        .iter()
        .all(|k| k.digest.is_some() && k.digest == e.digest);
    if !implied {
        key(out, "chunkDigests");
        out.push(b'[');
        for (i, k) in f.chunks.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match &k.digest {
                Some(d) => write_digest(out, d),
                None => out.extend_from_slice(b"null"),
            }
        }
        out.push(b']');
    }
    if sep == b'{' {
        out.push(b'{');
    }
    out.push(b'}');
    Ok(())
}

/// `"sha256:…"` as a JSON string, in lower-case hex (the same text as `Digest`'s `Display`,
/// which formats byte by byte: 30% of the table's cost before this).
fn write_digest(out: &mut Vec<u8>, d: &Digest) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(match d {
        Digest::Sha256(_) => b"\"sha256:",
        Digest::Sha512(_) => b"\"sha512:",
    });
    for b in d.bytes() {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 15)]);
    }
    out.push(b'"');
}

/// Offsets in the buffers are `u32`: a TOC is capped far below 4 GiB (150 MiB), and so is
/// anything made from it; past that the table is refused rather than wrapped.
fn end(v: usize) -> Result<u32, crate::error::Error> {
    u32::try_from(v).map_err(|_| crate::error::Error::TooLarge {
        what: "file table".into(),
        size: v as u64,
        limit: u64::from(u32::MAX),
    })
}

/// Extras are written to wasm memory this much at a time, then copied out to JS.
const EXTRAS_STAGE: usize = 4 << 20;

/// The JS object (`FileTable` in types.d.ts) for a layer's files, straight from the file model:
/// the same fields as [`FileReport::from`](crate::inspect::report::FileReport) (the `fileList`
/// wire shape), without making a `FileReport`. Built one column at a time, each copied out to a
/// typed array and freed before the next (the per-file JSON in stages of 4 MiB), so wasm memory
/// grows by one column at most, not by the whole table.
pub fn table_js(files: &[FileEntry]) -> Result<JsValue, JsValue> {
    let n = files.len();
    let o = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        js_sys::Reflect::set(&o, &JsValue::from_str(k), &v)
            .map(|_| ())
            .map_err(|_| {
                super::js_err(crate::error::Error::Internal(
                    "file table: building the result".into(),
                ))
            })
    };
    let f64s = |f: &dyn Fn(&FileEntry) -> f64| {
        let v: Vec<f64> = files.iter().map(f).collect();
        JsValue::from(js_sys::Float64Array::from(v.as_slice()))
    };
    let u32s = |v: Vec<u32>| JsValue::from(js_sys::Uint32Array::from(v.as_slice()));
    let u8s = |v: &[u8]| JsValue::from(js_sys::Uint8Array::from(v));
    let err = super::js_err;
    set("count", JsValue::from_f64(n as f64))?;

    // names: one UTF-8 buffer, with byte and UTF-16 ends
    let mut names = Vec::with_capacity(files.iter().map(|f| f.path.len()).sum());
    let mut ends = Vec::with_capacity(n);
    let mut ends16 = Vec::with_capacity(n);
    let mut len16: usize = 0;
    for f in files {
        names.extend_from_slice(f.path.as_bytes());
        ends.push(end(names.len()).map_err(err)?);
        len16 += if f.path.is_ascii() {
            f.path.len()
        } else {
            f.path.encode_utf16().count()
        };
        ends16.push(end(len16).map_err(err)?);
    }
    set("names", u8s(&names))?;
    drop(names);
    set("nameEnds", u32s(ends))?;
    set("nameEnds16", u32s(ends16))?;

    let types: Vec<u8> = files
        .iter()
        .map(|f| {
            let kind = f.entry.kind.as_str();
            TYPE_CODES.iter().position(|t| *t == kind).unwrap_or(0) as u8
        })
        .collect();
    set("types", u8s(&types))?;
    drop(types);
    set("sizes", f64s(&|f| f.entry.size as f64))?;
    set("modes", f64s(&|f| f.entry.mode as f64))?;
    set("uids", f64s(&|f| f.entry.uid as f64))?;
    set("gids", f64s(&|f| f.entry.gid as f64))?;

    // chunks: file i's are chunkStarts[i]..chunkStarts[i + 1]
    let mut starts = Vec::with_capacity(n + 1);
    let mut total = 0usize;
    starts.push(0);
    for f in files {
        total += f.chunks.len();
        starts.push(end(total).map_err(err)?);
    }
    set("chunkStarts", u32s(starts))?;
    let chunk_f64s = |f: &dyn Fn(&crate::model::Chunk) -> f64| {
        let v: Vec<f64> = files.iter().flat_map(|e| e.chunks.iter().map(f)).collect();
        JsValue::from(js_sys::Float64Array::from(v.as_slice()))
    };
    set("chunkOffsets", chunk_f64s(&|k| k.offset as f64))?;
    set(
        "chunkCompressed",
        chunk_f64s(&|k| k.compressed_length as f64),
    )?;
    set(
        "chunkUncompressedOffsets",
        chunk_f64s(&|k| k.uncompressed_offset as f64),
    )?;
    set(
        "chunkUncompressedLengths",
        chunk_f64s(&|k| k.uncompressed_length as f64),
    )?;
    let zeros: Vec<u8> = files
        .iter()
        .flat_map(|e| e.chunks.iter().map(|k| u8::from(k.zeros)))
        .collect();
    set("chunkZeros", u8s(&zeros))?;
    drop(zeros);

    // extras: written in stages, each copied out; the pieces joined on the JS side
    let pieces = js_sys::Array::new();
    let mut stage = Vec::with_capacity(EXTRAS_STAGE + 4096);
    let mut extra_ends = Vec::with_capacity(n);
    let mut written = 0usize;
    for f in files {
        let before = stage.len();
        write_extra(&mut stage, f).map_err(err)?;
        written += stage.len() - before;
        extra_ends.push(end(written).map_err(err)?);
        if stage.len() >= EXTRAS_STAGE {
            pieces.push(&js_sys::Uint8Array::from(stage.as_slice()));
            stage.clear();
        }
    }
    pieces.push(&js_sys::Uint8Array::from(stage.as_slice()));
    drop(stage);
    let extras = js_sys::Uint8Array::new_with_length(end(written).map_err(err)?);
    let mut at = 0u32;
    for p in pieces.iter() {
        let p: js_sys::Uint8Array = p.unchecked_into();
        extras.set(&p, at);
        at += p.length();
    }
    set("extras", extras.into())?;
    set("extraEnds", u32s(extra_ends))?;
    Ok(o.into())
}

/// The image report as JS with a `fileTable` for each layer that has a file model (`report` was
/// made without `fileList`s: the table is built from the model one entry at a time).
pub fn report_with_tables(img: &crate::image::InspectedImage) -> Result<JsValue, JsValue> {
    let out = super::to_js(&img.report)?;
    let layers = js_sys::Reflect::get(&out, &JsValue::from_str("layers"))?;
    for (i, layer) in img.layers.iter().enumerate() {
        let Some(files) = &layer.files else { continue };
        let table = table_js(&files.files)?;
        let js = js_sys::Reflect::get(&layers, &JsValue::from_f64(i as f64))?;
        js_sys::Reflect::set(&js, &JsValue::from_str("fileTable"), &table)?;
    }
    Ok(out)
}
