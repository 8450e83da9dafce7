//! The JavaScript API: a thin `#[wasm_bindgen]` layer over the core and the registry client.
//!
//! Each export takes one options object, runs the shared Rust logic with the browser
//! [`FetchTransport`](crate::registry::fetch::FetchTransport), and resolves to a plain object whose field names
//! are the same as the CLI's `--json` output (the same serde structs are serialized). Errors
//! reject with an `Error` whose message says what failed and what to do.

mod file_table;
mod files;
mod inspect;
mod layout;
mod plan;
mod registry;

pub use files::read_file_js;
pub use inspect::{forget_inspected_js, inspect_blob_js, inspect_image_js, inspect_layer_js};
pub use layout::{inspect_layout_js, plan_layout_js};
pub use plan::plan_pull_js;
pub use registry::{cors_config_js, list_tags_js, parse_reference_js, probe_range_js};

use crate::error::Error;
use crate::oci::Platform;
use crate::registry::fetch::FetchTransport;
use crate::registry::{Credentials, ImageRef, RegistryClient};
use crate::request_log::ProgressPhase;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

/// Every export resolves to a value or rejects with a JS `Error` made by [`js_err`].
type JsResult = std::result::Result<JsValue, JsValue>;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

/// The JS `Error` a promise rejects with: its `message` is the error's one-line text (after
/// `context`, if given), and it carries `kind` (the [`ErrorKind`](crate::ErrorKind) wire name),
/// `status` and `url` where they apply, and `details`: the whole `{kind, message, …fields}`
/// object. Pages switch on `kind`, never on the message.
fn js_err_in(e: &Error, context: Option<&str>) -> JsValue {
    let message = match context {
        Some(c) => format!("{c}: {e}"),
        None => e.to_string(),
    };
    let err = js_sys::Error::new(&message);
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str(k), &v);
    };
    set("kind", JsValue::from_str(e.kind().as_str()));
    if let Some(s) = e.status() {
        set("status", JsValue::from_f64(f64::from(s)));
    }
    if let Some(u) = e.url() {
        set("url", JsValue::from_str(u));
    }
    if let Error::Http { code: Some(c), .. } = e {
        if let Ok(v) = serde_json::to_value(c) {
            set(
                "registryCode",
                JsValue::from_str(v.as_str().unwrap_or_default()),
            );
        }
    }
    // Numbers past 2^53 (a descriptor size that lies) do not fit the json_compatible
    // serializer; through JSON text they arrive as the nearest double instead of no details.
    let details = e
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()
        .or_else(|| {
            let text = serde_json::to_string(e).ok()?;
            js_sys::JSON::parse(&text).ok()
        });
    if let Some(d) = details {
        set("details", d);
    }
    err.into()
}

fn js_err(e: Error) -> JsValue {
    js_err_in(&e, None)
}

fn to_js<T: Serialize>(v: &T) -> JsResult {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .or_else(|e| {
            // A number past 2^53 somewhere (a size a server lied about): through JSON text it
            // becomes the nearest double rather than failing the whole result.
            let text = serde_json::to_string(v).map_err(|_| e)?;
            js_sys::JSON::parse(&text)
                .map_err(|_| serde_wasm_bindgen::Error::new("result to JS: JSON.parse failed"))
        })
        .map_err(|e| js_err(Error::Internal(format!("result to JS: {e}"))))
}

/// Reads an options object. Only its JSON data counts: functions such as `onProgress` (read
/// separately) are dropped first, since serde cannot take them.
fn from_js<T: for<'de> Deserialize<'de>>(
    v: JsValue,
    what: &str,
) -> std::result::Result<T, JsValue> {
    let bad = |e: String| js_err(Error::Input(format!("{what}: bad options: {e}")));
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
    /// How long a request may stall (headers, or between body chunks) before it fails with a
    /// `network` error of stage `headers`/`body`; default 30,000.
    stall_timeout_ms: Option<u32>,
}

impl Target {
    fn client(&self) -> std::result::Result<RegistryClient<FetchTransport>, JsValue> {
        let image =
            ImageRef::new(&self.registry, &self.repository, &self.reference).map_err(js_err)?;
        let creds = Credentials {
            token: self.token.clone().filter(|t| !t.is_empty()),
            username: self.username.clone().filter(|t| !t.is_empty()),
            password: self.password.clone(),
            realm: self.realm.clone().filter(|t| !t.is_empty()),
            service: self.service.clone(),
        };
        let transport = self
            .stall_timeout_ms
            .map(FetchTransport::with_stall_limit)
            .unwrap_or_default();
        Ok(RegistryClient::new(transport, image, creds))
    }
    fn platform(&self) -> std::result::Result<Option<Platform>, JsValue> {
        self.platform
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(Platform::parse)
            .transpose()
            .map_err(js_err)
    }
}

/// Forwards progress to an optional `onProgress` function of the options object: the client's
/// steps (`manifest`, `config`, `layer`, …, `done`), `body` events while a long body arrives
/// (every 256 KiB received; `bytesFetched` then counts the bytes received so far, the
/// request in flight included), and `layer-done` after each layer with its `entries`.
fn attach_progress(client: &mut RegistryClient<FetchTransport>, opts: &JsValue) {
    use std::cell::Cell;
    use std::rc::Rc;
    let Ok(f) = js_sys::Reflect::get(opts, &JsValue::from_str("onProgress")) else {
        return;
    };
    let Some(f) = f.dyn_ref::<js_sys::Function>().cloned() else {
        return;
    };
    fn event(
        phase: ProgressPhase,
        layer: Option<usize>,
        bytes: u64,
        requests: usize,
        entries: Option<usize>,
    ) -> js_sys::Object {
        let ev = js_sys::Object::new();
        let set = |k: &str, v: JsValue| {
            let _ = js_sys::Reflect::set(&ev, &JsValue::from_str(k), &v);
        };
        set("phase", to_js(&phase).unwrap_or(JsValue::NULL));
        set(
            "layer",
            layer
                .map(|l| JsValue::from_f64(l as f64))
                .unwrap_or(JsValue::NULL),
        );
        set("bytesFetched", JsValue::from_f64(bytes as f64));
        set("requests", JsValue::from_f64(requests as f64));
        if let Some(n) = entries {
            set("entries", JsValue::from_f64(n as f64));
        }
        ev
    }
    // bytes received (every body chunk, as it arrives) and requests made, shared by the hooks
    let received = Rc::new(Cell::new(0u64));
    let requests = Rc::new(Cell::new(0usize));
    {
        let (f, received, requests) = (f.clone(), received.clone(), requests.clone());
        client.on_progress(Box::new(move |phase, layer, bytes, n| {
            requests.set(n);
            received.set(received.get().max(bytes));
            let _ = f.call1(&JsValue::NULL, &event(phase, layer, bytes, n, None));
        }));
    }
    {
        let (f, received, requests) = (f.clone(), received.clone(), requests.clone());
        client.on_layer_inspected(Box::new(move |layer, entries| {
            let ev = event(
                ProgressPhase::LayerDone,
                Some(layer),
                received.get(),
                requests.get(),
                Some(entries),
            );
            let _ = f.call1(&JsValue::NULL, &ev);
        }));
    }
    const BODY_STEP: u64 = 256 << 10;
    let mut next = BODY_STEP;
    client.transport_mut().on_body = Some(Box::new(move |n| {
        received.set(received.get() + n);
        if received.get() >= next {
            next = received.get() + BODY_STEP;
            let ev = event(
                ProgressPhase::Body,
                None,
                received.get(),
                requests.get(),
                None,
            );
            let _ = f.call1(&JsValue::NULL, &ev);
        }
    }));
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
