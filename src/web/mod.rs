//! The JavaScript API: a thin `#[wasm_bindgen]` layer over the core and the registry client.
//!
//! Each export takes one options object, runs the shared Rust logic with the browser
//! [`FetchTransport`](fetch::FetchTransport), and resolves to a plain object whose field names
//! are the same as the CLI's `--json` output (the same serde structs are serialized). Errors
//! reject with an `Error` whose message says what failed and what to do.

mod fetch;
mod files;
mod inspect;
mod plan;
mod registry;

pub use files::read_file_js;
pub use inspect::{forget_inspected_js, inspect_blob_js, inspect_image_js, inspect_layer_js};
pub use plan::plan_pull_js;
pub use registry::{cors_config_js, list_tags_js, parse_reference_js, probe_range_js};

use crate::error::Error;
use crate::oci::Platform;
use crate::registry::{Credentials, ImageRef, RegistryClient};
use fetch::FetchTransport;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

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

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
