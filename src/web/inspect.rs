//! `inspectImage`, `inspectLayer`, `inspectBlob`, and the page's cache of inspected images.

use super::{attach_progress, from_js, js_err, to_js, JsResult, Target};
use crate::error::Error;
use crate::image::{inspect_image, ImageSource};
use crate::inspect::{ByteRange, InspectOptions};
use crate::oci::{Descriptor, MT_LAYER_ZSTD};
use crate::registry::ImageRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct InspectArgs {
    #[serde(flatten)]
    target: Target,
    files: bool,
    /// The file lists as columnar tables (`fileTable`) instead of `fileList` objects.
    file_table: bool,
    verify_tar_split: bool,
    footer: bool,
}

thread_local! {
    /// Images inspected in this page, newest last: `planPull` plans from them instead of reading
    /// their TOCs again (bytes are the product's currency). Keyed by what the caller asked for.
    static INSPECTED: std::cell::RefCell<Vec<(String, std::rc::Rc<crate::image::InspectedImage>)>> = const { std::cell::RefCell::new(Vec::new()) };
}
/// How many inspected images stay cached.
const CACHE_IMAGES: usize = 8;

impl Target {
    fn cache_key(&self) -> Option<String> {
        let image = ImageRef::new(&self.registry, &self.repository, &self.reference).ok()?;
        Some(format!(
            "{}|{}|{}|{}",
            image.base,
            image.repository,
            image.reference,
            self.platform.as_deref().unwrap_or("")
        ))
    }
}

pub(super) fn cached(t: &Target) -> Option<std::rc::Rc<crate::image::InspectedImage>> {
    let key = t.cache_key()?;
    INSPECTED.with(|c| {
        c.borrow()
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    })
}

pub(super) fn remember(
    t: &Target,
    img: crate::image::InspectedImage,
) -> std::rc::Rc<crate::image::InspectedImage> {
    let img = std::rc::Rc::new(img);
    if let Some(key) = t.cache_key() {
        INSPECTED.with(|c| {
            let mut c = c.borrow_mut();
            c.retain(|(k, _)| *k != key);
            c.push((key, img.clone()));
            let excess = c.len().saturating_sub(CACHE_IMAGES);
            c.drain(..excess);
        });
    }
    img
}

/// `forgetInspected()`: drop the images kept for `planPull` (e.g. after a tag moved).
#[wasm_bindgen(js_name = forgetInspected)]
pub fn forget_inspected_js() {
    INSPECTED.with(|c| c.borrow_mut().clear());
}

/// `inspectImage({registry, repository, reference, platform?, files?, verifyTarSplit?, footer?,
/// fileTable?, token?, username?, password?, realm?, service?, onProgress?})` → image report.
/// With `fileTable`, each layer has a columnar `fileTable` (typed arrays) instead of `fileList`.
///
/// By default each layer costs one request of exactly its compressed TOC; `verifyTarSplit`
/// extends that same single range over the tar-split and checks it.
#[wasm_bindgen(js_name = inspectImage, unchecked_return_type = "ImageReport")]
pub async fn inspect_image_js(
    #[wasm_bindgen(unchecked_param_type = "InspectImageOptions")] opts: JsValue,
) -> JsResult {
    let args: InspectArgs = from_js(opts.clone(), "inspectImage")?;
    let mut client = args.target.client()?;
    attach_progress(&mut client, &opts);
    let platform = args.target.platform()?;
    let o = InspectOptions {
        tar_split: args.verify_tar_split,
        footer: args.footer,
        files: args.files && !args.file_table,
    };
    let name = client.image.display();
    let img = inspect_image(&mut client, &name, platform.as_ref(), o)
        .await
        .map_err(js_err)?;
    let out = if args.file_table {
        super::file_table::report_with_tables(&img)
    } else {
        to_js(&img.report)
    };
    remember(&args.target, img);
    out
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct LayerArgs {
    #[serde(flatten)]
    target: Target,
    digest: String,
    size: u64,
    media_type: Option<String>,
    annotations: BTreeMap<String, String>,
    files: bool,
    verify_tar_split: bool,
}

/// `inspectLayer({registry, repository, digest, size, mediaType?, annotations?, files?,
/// verifyTarSplit?})` → layer report. Without annotations the footer is read first (an
/// absolute range computed from `size`), then the TOC: two requests.
#[wasm_bindgen(js_name = inspectLayer, unchecked_return_type = "LayerInspection")]
pub async fn inspect_layer_js(
    #[wasm_bindgen(unchecked_param_type = "InspectLayerOptions")] opts: JsValue,
) -> JsResult {
    let args: LayerArgs = from_js(opts.clone(), "inspectLayer")?;
    let mut client = args.target.client()?;
    attach_progress(&mut client, &opts);
    let media_type = args.media_type.as_deref().unwrap_or(MT_LAYER_ZSTD);
    let desc = Descriptor::new(media_type, args.digest, args.size, args.annotations);
    let o = InspectOptions {
        tar_split: args.verify_tar_split,
        footer: false,
        files: args.files,
    };
    let layer =
        crate::inspect::inspect_layer(&desc, o, async |r| client.read_range(&desc, r).await).await;
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Out {
        #[serde(flatten)]
        report: crate::inspect::report::LayerReport,
        requests: usize,
        bytes_fetched: u64,
        request_log: Vec<crate::registry::RequestRecord>,
    }
    to_js(&Out {
        report: layer.report,
        requests: client.log().len(),
        bytes_fetched: client.bytes_fetched(),
        request_log: client.request_log(),
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct BlobArgs {
    annotations: BTreeMap<String, String>,
    files: bool,
    verify_tar_split: bool,
}

/// `inspectBlob(blob, {annotations?, files?, verifyTarSplit?})` → layer report, for a local
/// layer file. Reads `Blob.slice` ranges chosen by the same state machine as the network path.
#[wasm_bindgen(js_name = inspectBlob, unchecked_return_type = "LayerReport")]
pub async fn inspect_blob_js(
    blob: web_sys::Blob,
    #[wasm_bindgen(unchecked_param_type = "BlobOptions | undefined")] opts: JsValue,
) -> JsResult {
    let args: BlobArgs = if opts.is_undefined() || opts.is_null() {
        BlobArgs::default()
    } else {
        from_js(opts, "inspectBlob")?
    };
    let desc = Descriptor::new(
        MT_LAYER_ZSTD,
        String::new(),
        blob.size() as u64,
        args.annotations,
    );
    let opts = InspectOptions {
        tar_split: args.verify_tar_split,
        footer: false,
        files: args.files,
    };
    let layer = crate::inspect::inspect_layer(&desc, opts, async |r: ByteRange| {
        let slice = blob
            .slice_with_f64_and_f64(r.offset as f64, r.end() as f64)
            .map_err(|e| Error::Io(format!("{e:?}")))?;
        let buf = JsFuture::from(slice.array_buffer())
            .await
            .map_err(|e| Error::Io(format!("reading the file: {e:?}")))?;
        Ok(js_sys::Uint8Array::new(&buf).to_vec())
    })
    .await;
    to_js(&layer.report)
}
