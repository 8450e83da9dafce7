//! The JavaScript API: a thin `#[wasm_bindgen]` layer over the core and the registry client.
//!
//! Each export takes one options object, runs the shared Rust logic with the browser
//! [`FetchTransport`](fetch::FetchTransport), and resolves to a plain object whose field names
//! are the same as the CLI's `--json` output (the same serde structs are serialized). Errors
//! reject with an `Error` whose message says what failed and what to do.

mod fetch;

use crate::error::Error;
use crate::format::digest::Digest;
use crate::format::zstd;
use crate::image::{inspect_image, inspect_layer, ImageSource};
use crate::inspect::{ByteRange, InspectOptions};
use crate::oci::{Descriptor, Platform};
use crate::plan::{plan_pull, LayerInput, PlanOptions};
use crate::registry::{Credentials, ImageRef, RegistryClient};
use fetch::FetchTransport;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

type JsResult = std::result::Result<JsValue, JsError>;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

fn js_err(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

fn to_js<T: Serialize>(v: &T) -> JsResult {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// Reads an options object. Only its JSON data counts: functions such as `onProgress` (read
/// separately) are dropped first, since serde cannot take them.
fn from_js<T: for<'de> Deserialize<'de>>(
    v: JsValue,
    what: &str,
) -> std::result::Result<T, JsError> {
    let bad = |e: String| JsError::new(&format!("{what}: bad options: {e}"));
    let data = if v.is_undefined() || v.is_null() {
        v
    } else {
        let text = js_sys::JSON::stringify(&v).map_err(|e| bad(format!("{e:?}")))?;
        js_sys::JSON::parse(&String::from(text)).map_err(|e| bad(format!("{e:?}")))?
    };
    serde_wasm_bindgen::from_value(data).map_err(|e| bad(e.to_string()))
}

/// Where to find an image and how to authenticate.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Target {
    registry: String,
    repository: String,
    reference: String,
    platform: Option<String>,
    token: Option<String>,
    username: Option<String>,
    password: Option<String>,
    realm: Option<String>,
    service: Option<String>,
}

impl Target {
    fn client(&self) -> std::result::Result<RegistryClient<FetchTransport>, JsError> {
        let image =
            ImageRef::new(&self.registry, &self.repository, &self.reference).map_err(js_err)?;
        let creds = Credentials {
            token: self.token.clone().filter(|t| !t.is_empty()),
            username: self.username.clone().filter(|t| !t.is_empty()),
            password: self.password.clone(),
            realm: self.realm.clone().filter(|t| !t.is_empty()),
            service: self.service.clone(),
        };
        Ok(RegistryClient::new(FetchTransport, image, creds))
    }
    fn platform(&self) -> std::result::Result<Option<Platform>, JsError> {
        self.platform
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(Platform::parse)
            .transpose()
            .map_err(js_err)
    }
}

/// Forwards progress to an optional `onProgress` function of the options object.
fn attach_progress(client: &mut RegistryClient<FetchTransport>, opts: &JsValue) {
    let Ok(f) = js_sys::Reflect::get(opts, &JsValue::from_str("onProgress")) else {
        return;
    };
    let Some(f) = f.dyn_ref::<js_sys::Function>().cloned() else {
        return;
    };
    client.on_progress(Box::new(move |phase, layer, bytes, requests| {
        let ev = js_sys::Object::new();
        let set = |k: &str, v: JsValue| {
            let _ = js_sys::Reflect::set(&ev, &JsValue::from_str(k), &v);
        };
        set("phase", JsValue::from_str(phase));
        set(
            "layer",
            layer
                .map(|l| JsValue::from_f64(l as f64))
                .unwrap_or(JsValue::NULL),
        );
        set("bytesFetched", JsValue::from_f64(bytes as f64));
        set("requests", JsValue::from_f64(requests as f64));
        let _ = f.call1(&JsValue::NULL, &ev);
    }));
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct InspectArgs {
    #[serde(flatten)]
    target: Target,
    files: bool,
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

fn cached(t: &Target) -> Option<std::rc::Rc<crate::image::InspectedImage>> {
    let key = t.cache_key()?;
    INSPECTED.with(|c| {
        c.borrow()
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    })
}

fn remember(
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
/// token?, username?, password?, realm?, service?, onProgress?})` → image report.
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
        files: args.files,
    };
    let name = client.image.display();
    let img = inspect_image(&mut client, &name, platform.as_ref(), o)
        .await
        .map_err(js_err)?;
    let out = to_js(&img.report);
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
    let desc = Descriptor {
        media_type: args
            .media_type
            .unwrap_or_else(|| "application/vnd.oci.image.layer.v1.tar+zstd".into()),
        digest: args.digest,
        size: args.size,
        annotations: args.annotations,
        platform: None,
        urls: Vec::new(),
    };
    let o = InspectOptions {
        tar_split: args.verify_tar_split,
        footer: false,
        files: args.files,
    };
    let layer = inspect_layer(&mut client, &desc, o).await;
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Out {
        #[serde(flatten)]
        report: crate::inspect::report::LayerReport,
        requests: usize,
        bytes_fetched: u64,
        request_log: Vec<crate::inspect::report::RequestRecord>,
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
struct ProbeArgs {
    #[serde(flatten)]
    target: Target,
    digest: String,
    size: Option<u64>,
    multi_range: bool,
}

/// `probeRange({registry, repository, digest, size?, multiRange?})` → how the registry answers
/// ranges and what that means for podman/CRI-O partial pulls. `multiRange: true` sends the one
/// multi-range request chunkscope ever makes (reading at most 8 KiB).
#[wasm_bindgen(js_name = probeRange, unchecked_return_type = "ProbeReport")]
pub async fn probe_range_js(
    #[wasm_bindgen(unchecked_param_type = "ProbeOptions")] opts: JsValue,
) -> JsResult {
    let args: ProbeArgs = from_js(opts, "probeRange")?;
    let mut client = args.target.client()?;
    let report = client
        .probe(&args.digest, args.size, args.multi_range)
        .await
        .map_err(js_err)?;
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Out {
        #[serde(flatten)]
        report: crate::registry::probe::ProbeReport,
        request_log: Vec<crate::inspect::report::RequestRecord>,
        cors_fix: &'static str,
    }
    to_js(&Out {
        report,
        request_log: client.request_log(),
        cors_fix: crate::registry::probe::CORS_FIX,
    })
}

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
            .blob_range(&args.layer_digest, range, args.layer_size, "file")
            .await
            .map_err(js_err)?;
        zstd::decompress_exact("file", &compressed, args.size, MAX_PREVIEW).map_err(js_err)?
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
        .map_err(|_| JsError::new("readFile: result"))?;
    set("verified", verified).map_err(|_| JsError::new("readFile: result"))?;
    set(
        "bytesFetched",
        JsValue::from_f64(client.bytes_fetched() as f64),
    )
    .map_err(|_| JsError::new("readFile: result"))?;
    set("requests", JsValue::from_f64(client.log().len() as f64))
        .map_err(|_| JsError::new("readFile: result"))?;
    Ok(out.into())
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
    let desc = Descriptor {
        media_type: "application/vnd.oci.image.layer.v1.tar+zstd".into(),
        digest: String::new(),
        size: blob.size() as u64,
        annotations: args.annotations,
        platform: None,
        urls: Vec::new(),
    };
    let opts = InspectOptions {
        tar_split: args.verify_tar_split,
        footer: false,
        files: args.files,
    };
    let layer = crate::inspect::drive(&desc, opts, async |r: ByteRange| {
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

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PlanArgs {
    want: Target,
    have: Vec<Target>,
    chunk_reuse: Option<bool>,
    hard_links: bool,
    budget: Option<usize>,
}

/// `planPull({want: Target, have: [Target], chunkReuse?, hardLinks?, budget?})` → what pulling
/// `want` into a store holding the `have` images costs: the reference puller's plan per layer, the
/// single-range plan and its requests↔bytes curve, and the cost against a registry that ignores
/// multi-range requests. Reads each image's TOCs only (one request per layer).
#[wasm_bindgen(js_name = planPull, unchecked_return_type = "PlanReport")]
pub async fn plan_pull_js(
    #[wasm_bindgen(unchecked_param_type = "PlanOptions")] opts: JsValue,
) -> JsResult {
    let args: PlanArgs = from_js(opts.clone(), "planPull")?;
    let o = InspectOptions {
        tar_split: false,
        footer: false,
        files: false,
    };
    let mut images = Vec::new();
    let (mut bytes, mut requests) = (0u64, 0usize);
    for (i, t) in std::iter::once(&args.want).chain(&args.have).enumerate() {
        // An image this page already inspected is planned from memory: no request at all.
        if let Some(img) = cached(t) {
            images.push(img);
            continue;
        }
        let mut client = t.client()?;
        attach_progress(&mut client, &opts);
        let name = client.image.display();
        let img = inspect_image(&mut client, &name, t.platform()?.as_ref(), o)
            .await
            .map_err(|e| {
                JsError::new(&format!(
                    "{} image {name}: {e}",
                    if i == 0 { "wanted" } else { "have" }
                ))
            })?;
        bytes += client.bytes_fetched();
        requests += client.log().len();
        images.push(remember(t, img));
    }
    let want = LayerInput::image(&images[0].manifest, &images[0].layers);
    let have: Vec<LayerInput> = images[1..]
        .iter()
        .flat_map(|i| LayerInput::image(&i.manifest, &i.layers))
        .collect();
    let popts = PlanOptions {
        chunk_reuse: args.chunk_reuse.unwrap_or(true),
        hard_links: args.hard_links,
        budget: args.budget,
    };
    let plan = plan_pull(&want, &have, &popts);
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Out<'a> {
        #[serde(flatten)]
        plan: crate::plan::PullPlan,
        want: &'a crate::inspect::report::ImageReport,
        have: Vec<&'a crate::inspect::report::ImageReport>,
        bytes_fetched: u64,
        requests: usize,
    }
    to_js(&Out {
        plan,
        want: &images[0].report,
        have: images[1..].iter().map(|i| &i.report).collect(),
        bytes_fetched: bytes,
        requests,
    })
}

/// `listTags({registry, repository})` → every tag, following the registry's pagination.
#[wasm_bindgen(js_name = listTags, unchecked_return_type = "string[]")]
pub async fn list_tags_js(
    #[wasm_bindgen(unchecked_param_type = "Target")] opts: JsValue,
) -> JsResult {
    let target: Target = from_js(opts, "listTags")?;
    let mut client = target.client()?;
    let tags = client.tags().await.map_err(js_err)?;
    to_js(&tags)
}

/// `parseReference(registry, image)` → `{registry, repository, reference}`: the registry URL
/// normalised and `REPO[:TAG|@DIGEST]` split and validated exactly as every other call will,
/// so a form can reject bad input before any request. Throws with a message that says what is
/// wrong.
#[wasm_bindgen(js_name = parseReference, unchecked_return_type = "{registry: string, repository: string, reference: string}")]
pub fn parse_reference_js(registry: &str, image: &str) -> JsResult {
    let (repo, reference) = crate::registry::reference::split_repo_ref(image.trim());
    let r = ImageRef::new(registry, repo, reference).map_err(js_err)?;
    let out = serde_json::json!({"registry": r.base, "repository": r.repository, "reference": r.reference});
    to_js(&out)
}

/// `corsConfig()` → the CNCF distribution `http.headers` block the browser inspector needs.
#[wasm_bindgen(js_name = corsConfig)]
pub fn cors_config_js() -> String {
    crate::registry::probe::CORS_FIX.to_string()
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
