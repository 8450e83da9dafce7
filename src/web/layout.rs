//! `inspectLayout`, `planLayout`: an OCI image layout folder the user opened in the browser
//! (`<input type=file webkitdirectory>` or `showDirectoryPicker`), read from its `Blob`s.
//!
//! The folder is walked by the same [`inspect_image`] as a registry image: `index.json` → (an
//! image index →) the image manifest → its config → every layer, with the manifest, index and
//! config digests verified and each layer read with `Blob.slice` ranges chosen by the same state
//! machine as the network path.

use super::plan::{plan_report, PlanArgs};
use super::{from_js, js_err, to_js, JsResult};
use crate::error::{Error, Result};
use crate::image::{inspect_image, ImageSource, InspectedImage};
use crate::inspect::{ByteRange, InspectOptions};
use crate::oci::{
    pick_from_layout, Descriptor, Index, LayoutPick, Platform, MAX_MANIFEST, MT_OCI_INDEX,
};
use serde::Deserialize;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// At most this many files are taken from a folder (a layout holds a few per image).
const MAX_ENTRIES: u32 = 1_000_000;

/// A layout folder as `path → Blob`, paths relative to the layout's root (`oci-layout`,
/// `index.json`, `blobs/sha256/<hex>`).
struct BlobLayout {
    files: HashMap<String, web_sys::Blob>,
    tag: Option<String>,
    /// Hash every layer blob whole before its first range is used (`verifyLayers`).
    verify_layers: bool,
    /// Layer blobs whose digest was verified (or found wrong: the error again).
    verified: HashMap<String, Result<()>>,
}

/// Layer blobs are hashed in slices of this size (memory stays bounded for any blob).
const HASH_SLICE: u64 = 8 << 20;

impl BlobLayout {
    fn from_map(map: &js_sys::Map, tag: Option<String>) -> Result<BlobLayout> {
        if map.size() > MAX_ENTRIES {
            return Err(Error::TooLarge {
                what: "OCI layout folder (files)".into(),
                size: map.size().into(),
                limit: MAX_ENTRIES.into(),
            });
        }
        let mut files = HashMap::new();
        let mut bad = None;
        map.for_each(
            &mut |v, k| match (k.as_string(), v.dyn_into::<web_sys::Blob>()) {
                (Some(k), Ok(b)) => {
                    files.insert(k, b);
                }
                _ => bad = Some(()),
            },
        );
        if bad.is_some() {
            return Err(Error::Input(
                "inspectLayout: the folder must be a Map of path (string) → Blob".into(),
            ));
        }
        for need in ["oci-layout", "index.json"] {
            if !files.contains_key(need) {
                return Err(Error::MissingInLayout { path: need.into() });
            }
        }
        Ok(BlobLayout {
            files,
            tag,
            verify_layers: false,
            verified: HashMap::new(),
        })
    }

    /// The whole blob's digest against the descriptor's, read in [`HASH_SLICE`] slices.
    async fn verify_blob(blob: &web_sys::Blob, path: &str, desc: &Descriptor) -> Result<()> {
        let want = desc.parsed_digest()?;
        let mut h = crate::format::digest::Hasher::for_digest(&want);
        let size = blob.size() as u64;
        let mut at = 0;
        while at < size {
            let end = (at + HASH_SLICE).min(size);
            h.update(&read_slice(blob, at, end).await?);
            at = end;
        }
        let got = h.finish();
        if got == want {
            Ok(())
        } else {
            Err(Error::DigestMismatch {
                what: path.to_string(),
                expected: want.to_string(),
                actual: got.to_string(),
            })
        }
    }

    fn blob(&self, digest: &str) -> Result<(&web_sys::Blob, String)> {
        let (alg, hex) = digest.split_once(':').ok_or_else(|| Error::BadDigest {
            value: digest.into(),
            reason: "not algorithm:hex".into(),
        })?;
        if alg.is_empty()
            || !alg.bytes().all(|b| b.is_ascii_alphanumeric())
            || hex.is_empty()
            || !hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(Error::BadDigest {
                value: digest.into(),
                reason: "not algorithm:hex".into(),
            });
        }
        let path = format!("blobs/{alg}/{hex}");
        match self.files.get(&path) {
            Some(b) => Ok((b, path)),
            None => Err(Error::MissingInLayout { path }),
        }
    }

    async fn read_whole(&self, path: &str, blob: &web_sys::Blob, limit: u64) -> Result<Vec<u8>> {
        let size = blob.size() as u64;
        if size > limit {
            return Err(Error::TooLarge {
                what: path.into(),
                size,
                limit,
            });
        }
        read_slice(blob, 0, size).await
    }
}

/// `[offset, end)` of a Blob.
async fn read_slice(blob: &web_sys::Blob, offset: u64, end: u64) -> Result<Vec<u8>> {
    let slice = blob
        .slice_with_f64_and_f64(offset as f64, end as f64)
        .map_err(|e| Error::Io(format!("{e:?}")))?;
    let buf = JsFuture::from(slice.array_buffer())
        .await
        .map_err(|e| Error::Io(format!("reading the file: {e:?}")))?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

impl ImageSource for BlobLayout {
    async fn root_manifest(&mut self) -> Result<(Vec<u8>, Option<String>)> {
        let index_blob = self
            .files
            .get("index.json")
            .ok_or_else(|| Error::MissingInLayout {
                path: "index.json".into(),
            })?;
        let index_bytes = self
            .read_whole("index.json", index_blob, MAX_MANIFEST)
            .await?;
        let index: Index = serde_json::from_slice(&index_bytes)
            .map_err(|e| Error::Oci(format!("index.json: {e}")))?;
        let chosen = match pick_from_layout(&index, self.tag.as_deref(), "the OCI layout")? {
            LayoutPick::Manifest(d) => d.clone(),
            // index.json itself is an image index of platform images: choose among them
            LayoutPick::Index => return Ok((index_bytes, Some(MT_OCI_INDEX.into()))),
        };
        let (blob, path) = self.blob(&chosen.digest)?;
        let bytes = self.read_whole(&path, blob, MAX_MANIFEST).await?;
        chosen.parsed_digest()?.verify(&path, &bytes)?;
        Ok((bytes, Some(chosen.media_type).filter(|m| !m.is_empty())))
    }

    async fn fetch(&mut self, desc: &Descriptor, limit: u64) -> Result<Vec<u8>> {
        let (blob, path) = self.blob(&desc.digest)?;
        // inspect_image verifies the digest of what it fetches (platform manifests, configs)
        self.read_whole(&path, blob, limit).await
    }

    async fn read_range(&mut self, desc: &Descriptor, range: ByteRange) -> Result<Vec<u8>> {
        let (blob, path) = self.blob(&desc.digest)?;
        let blob = blob.clone();
        let blob = &blob;
        let size = blob.size() as u64;
        if size != desc.size {
            return Err(Error::LengthMismatch {
                what: path,
                expected: desc.size,
                actual: size,
            });
        }
        if self.verify_layers {
            if !self.verified.contains_key(&path) {
                let r = Self::verify_blob(blob, &path, desc).await;
                self.verified.insert(path.clone(), r);
            }
            if let Some(Err(e)) = self.verified.get(&path) {
                return Err(e.clone());
            }
        }
        let end = range.end();
        if end > size {
            return Err(Error::Truncated {
                what: "layer blob in the OCI layout",
                needed: end,
                got: size,
            });
        }
        read_slice(blob, range.offset, end).await
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct LayoutArgs {
    tag: Option<String>,
    platform: Option<String>,
    files: bool,
    verify_tar_split: bool,
    footer: bool,
    /// Hash each layer blob whole and compare it with its descriptor's digest (reads every
    /// layer's bytes once; not counted in `bytesRead`, which counts the metadata ranges).
    verify_layers: bool,
}

thread_local! {
    /// The layout image inspected last: `planLayout` plans its pull without reading it again.
    static LAST: std::cell::RefCell<Option<std::rc::Rc<InspectedImage>>> = const { std::cell::RefCell::new(None) };
}

/// `inspectLayout(folder: Map<string, Blob>, {tag?, platform?, files?, verifyTarSplit?, footer?,
/// verifyLayers?})` → image report. `folder` maps paths relative to the layout's root
/// (`oci-layout`, `index.json`, `blobs/sha256/<hex>`) to the files. The digests of the index,
/// manifests and config are verified; each layer is read with `Blob.slice` ranges (its size must
/// be the descriptor's), and with `verifyLayers` hashed whole first (a mismatch is the layer's
/// `verification` error).
#[wasm_bindgen(js_name = inspectLayout, unchecked_return_type = "ImageReport")]
pub async fn inspect_layout_js(
    #[wasm_bindgen(unchecked_param_type = "Map<string, Blob>")] folder: JsValue,
    #[wasm_bindgen(unchecked_param_type = "InspectLayoutOptions | undefined")] opts: JsValue,
) -> JsResult {
    let args: LayoutArgs = if opts.is_undefined() || opts.is_null() {
        LayoutArgs::default()
    } else {
        from_js(opts, "inspectLayout")?
    };
    let map = folder.dyn_into::<js_sys::Map>().map_err(|_| {
        js_err(Error::Input(
            "inspectLayout: the folder must be a Map of path (string) → Blob".into(),
        ))
    })?;
    let tag = args.tag.filter(|t| !t.is_empty());
    let mut src = BlobLayout::from_map(&map, tag.clone()).map_err(js_err)?;
    src.verify_layers = args.verify_layers;
    let platform = args
        .platform
        .as_deref()
        .filter(|p| !p.is_empty())
        .map(Platform::parse)
        .transpose()
        .map_err(js_err)?;
    let o = InspectOptions {
        tar_split: args.verify_tar_split,
        footer: args.footer,
        files: args.files,
    };
    let name = format!("oci:{}", tag.as_deref().unwrap_or(""));
    let name = name.trim_end_matches(':').to_string();
    let img = inspect_image(&mut src, &name, platform.as_ref(), o)
        .await
        .map_err(js_err)?;
    let out = to_js(&img.report);
    LAST.with(|l| *l.borrow_mut() = Some(std::rc::Rc::new(img)));
    out
}

/// `planLayout({budget?, chunkReuse?, hardLinks?, registryBehaviour?, errorBody?, retries?})` →
/// the plan of a cold pull of the layout image `inspectLayout` read last (`planPull`'s report with
/// no have-image), from memory: nothing is read.
#[wasm_bindgen(js_name = planLayout, unchecked_return_type = "PlanReport")]
pub fn plan_layout_js(
    #[wasm_bindgen(unchecked_param_type = "PlanLayoutOptions | undefined")] opts: JsValue,
) -> JsResult {
    // planPull's options; `want` and `have` are not taken (the layout image, cold)
    let args: PlanArgs = if opts.is_undefined() || opts.is_null() {
        PlanArgs::default()
    } else {
        from_js(opts, "planLayout")?
    };
    let img = LAST.with(|l| l.borrow().clone()).ok_or_else(|| {
        js_err(Error::NotFound(
            "planLayout: no OCI layout was inspected in this page".into(),
        ))
    })?;
    plan_report(&args, &[&img], 0, 0, "planLayout")
}
