//! The columnar file table (`inspectImage({fileTable: true})`): a layer's file list as typed
//! arrays plus the names as one UTF-8 buffer, instead of one JS object per file. Handing JS
//! 150,000 objects through serde-wasm-bindgen costs about a second (most of it making strings);
//! a handful of typed arrays cost a copy each, can be transferred from a worker without copying,
//! and the page materialises only the rows it shows (`www/js/file-table.js`).

use crate::format::digest::Digest;
use crate::format::toc::EntryType;
use crate::model::FileEntry;
use wasm_bindgen::prelude::*;

/// Entry types by code (the `types` column), in this order; `types.d.ts` `FILE_TYPES` has it too.
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
        serde_json::to_writer(&mut *out, m).map_err(|e| bad(&e))?;
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

/// The table's columns before they become typed arrays.
#[derive(Default)]
pub struct Columns {
    pub names: Vec<u8>,
    /// Byte end of each name in `names`.
    pub name_ends: Vec<u32>,
    /// UTF-16 end of each name in the decoded `names` (one `TextDecoder.decode` of the whole
    /// buffer, then `slice`): the two agree only for ASCII names.
    pub name_ends16: Vec<u32>,
    pub types: Vec<u8>,
    pub sizes: Vec<f64>,
    pub modes: Vec<f64>,
    pub uids: Vec<f64>,
    pub gids: Vec<f64>,
    /// `chunk_starts[i]..chunk_starts[i + 1]`: file `i`'s chunks in the chunk columns.
    pub chunk_starts: Vec<u32>,
    pub chunk_offsets: Vec<f64>,
    pub chunk_compressed: Vec<f64>,
    pub chunk_uncompressed_offsets: Vec<f64>,
    pub chunk_uncompressed_lengths: Vec<f64>,
    pub chunk_zeros: Vec<u8>,
    /// Per file, a JSON object of the fields a row does not show (see [`Extra`]).
    pub extras: Vec<u8>,
    pub extra_ends: Vec<u32>,
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

impl Columns {
    /// The columns of a layer's files, straight from the file model: the same fields as
    /// [`FileReport::from`](crate::inspect::report::FileReport) (the `fileList` wire shape), without making a `FileReport` (strings
    /// are copied once, into the buffers).
    pub fn build(files: &[FileEntry]) -> Result<Columns, crate::error::Error> {
        let n = files.len();
        let mut c = Columns {
            names: Vec::with_capacity(files.iter().map(|f| f.path.len()).sum()),
            name_ends: Vec::with_capacity(n),
            name_ends16: Vec::with_capacity(n),
            types: Vec::with_capacity(n),
            sizes: Vec::with_capacity(n),
            modes: Vec::with_capacity(n),
            uids: Vec::with_capacity(n),
            gids: Vec::with_capacity(n),
            chunk_starts: Vec::with_capacity(n + 1),
            chunk_offsets: Vec::with_capacity(n),
            chunk_compressed: Vec::with_capacity(n),
            chunk_uncompressed_offsets: Vec::with_capacity(n),
            chunk_uncompressed_lengths: Vec::with_capacity(n),
            chunk_zeros: Vec::with_capacity(n),
            extras: Vec::with_capacity(n * 136),
            extra_ends: Vec::with_capacity(n),
        };
        let mut len16: usize = 0;
        c.chunk_starts.push(0);
        for f in files {
            let e = &f.entry;
            c.names.extend_from_slice(f.path.as_bytes());
            c.name_ends.push(end(c.names.len())?);
            len16 += if f.path.is_ascii() {
                f.path.len()
            } else {
                f.path.encode_utf16().count()
            };
            c.name_ends16.push(end(len16)?);
            let kind = e.kind.as_str();
            c.types
                .push(TYPE_CODES.iter().position(|t| *t == kind).unwrap_or(0) as u8);
            c.sizes.push(e.size as f64);
            c.modes.push(e.mode as f64);
            c.uids.push(e.uid as f64);
            c.gids.push(e.gid as f64);
            for k in &f.chunks {
                c.chunk_offsets.push(k.offset as f64);
                c.chunk_compressed.push(k.compressed_length as f64);
                c.chunk_uncompressed_offsets
                    .push(k.uncompressed_offset as f64);
                c.chunk_uncompressed_lengths
                    .push(k.uncompressed_length as f64);
                c.chunk_zeros.push(u8::from(k.zeros));
            }
            c.chunk_starts.push(end(c.chunk_offsets.len())?);
            write_extra(&mut c.extras, f)?;
            c.extra_ends.push(end(c.extras.len())?);
        }
        Ok(c)
    }

    /// The JS object (`FileTable` in types.d.ts): one typed array per column, each copied out of
    /// wasm memory and then freed.
    pub fn into_js(self) -> Result<JsValue, JsValue> {
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
        let f64s = |v: Vec<f64>| JsValue::from(js_sys::Float64Array::from(v.as_slice()));
        let u32s = |v: Vec<u32>| JsValue::from(js_sys::Uint32Array::from(v.as_slice()));
        let u8s = |v: Vec<u8>| JsValue::from(js_sys::Uint8Array::from(v.as_slice()));
        set("count", JsValue::from_f64(self.types.len() as f64))?;
        set("names", u8s(self.names))?;
        set("nameEnds", u32s(self.name_ends))?;
        set("nameEnds16", u32s(self.name_ends16))?;
        set("types", u8s(self.types))?;
        set("sizes", f64s(self.sizes))?;
        set("modes", f64s(self.modes))?;
        set("uids", f64s(self.uids))?;
        set("gids", f64s(self.gids))?;
        set("chunkStarts", u32s(self.chunk_starts))?;
        set("chunkOffsets", f64s(self.chunk_offsets))?;
        set("chunkCompressed", f64s(self.chunk_compressed))?;
        set(
            "chunkUncompressedOffsets",
            f64s(self.chunk_uncompressed_offsets),
        )?;
        set(
            "chunkUncompressedLengths",
            f64s(self.chunk_uncompressed_lengths),
        )?;
        set("chunkZeros", u8s(self.chunk_zeros))?;
        set("extras", u8s(self.extras))?;
        set("extraEnds", u32s(self.extra_ends))?;
        Ok(o.into())
    }
}

/// The image report as JS with a `fileTable` for each layer that has a file model (`report` was
/// made without `fileList`s: the table is built from the model one entry at a time).
pub fn report_with_tables(img: &crate::image::InspectedImage) -> Result<JsValue, JsValue> {
    let out = super::to_js(&img.report)?;
    let layers = js_sys::Reflect::get(&out, &JsValue::from_str("layers"))?;
    for (i, layer) in img.layers.iter().enumerate() {
        let Some(files) = &layer.files else { continue };
        let table = Columns::build(&files.files).map_err(super::js_err)?;
        let js = js_sys::Reflect::get(&layers, &JsValue::from_f64(i as f64))?;
        js_sys::Reflect::set(&js, &JsValue::from_str("fileTable"), &table.into_js()?)?;
    }
    Ok(out)
}
