//! Registry-level calls: `probeRange`, `listTags`, `parseReference`, `corsConfig`.

use super::{from_js, js_err, to_js, JsResult, Target};
use crate::registry::ImageRef;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ProbeArgs {
    #[serde(flatten)]
    target: Target,
    digest: String,
    size: Option<u64>,
    multi_range: bool,
    ladder: bool,
    /// An earlier read of this registry saw a cancelled 200 and then a 206 for the same range.
    first_200_seen: bool,
}

/// `probeRange({registry, repository, digest, size?, multiRange?, ladder?})` → how the registry
/// answers ranges, its behaviour class and what that means for podman/CRI-O partial pulls.
/// `multiRange: true` sends the 2-range request (reading at most 8 KiB); `ladder: true` also
/// sends 16, 64, 256 and 1024 ranges and bisects to find a range cap (256 bytes read each).
/// `first200Seen: true` says an earlier read (the inspector's) got a cancelled 200 and then a 206
/// for the same range: the registry is then `first-200` even though the probe's ranges got 206.
#[wasm_bindgen(js_name = probeRange, unchecked_return_type = "ProbeReport")]
pub async fn probe_range_js(
    #[wasm_bindgen(unchecked_param_type = "ProbeOptions")] opts: JsValue,
) -> JsResult {
    let args: ProbeArgs = from_js(opts, "probeRange")?;
    let mut client = args.target.client()?;
    let mut report = client
        .probe(
            &args.digest,
            args.size,
            crate::registry::probe::ProbeOptions {
                multi: args.multi_range || args.ladder,
                ladder: args.ladder,
            },
        )
        .await
        .map_err(js_err)?;
    if args.first_200_seen {
        report.note_first_200();
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Out {
        #[serde(flatten)]
        report: crate::registry::probe::ProbeReport,
        cors_fix: &'static str,
    }
    to_js(&Out {
        report,
        cors_fix: crate::registry::probe::CORS_FIX,
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

/// `checkRegistry({registry, repository?, …credentials})` → `{status, requests}`: `GET /v2/`,
/// before any image is read. Resolves when the registry answers and this page may read it (200,
/// or 401: it wants credentials); rejects with the typed error otherwise — `network` (nothing
/// answers), `cors` (it answers, but not to this page), `not-found` (no `/v2/` API there).
/// `repository` only scopes a token when the registry wants one (default `library/check`).
#[wasm_bindgen(js_name = checkRegistry, unchecked_return_type = "RegistryCheck")]
pub async fn check_registry_js(
    #[wasm_bindgen(unchecked_param_type = "Target")] opts: JsValue,
) -> JsResult {
    let mut target: Target = from_js(opts, "checkRegistry")?;
    if target.repository.is_empty() {
        target.repository = "library/check".into();
    }
    let mut client = target.client()?;
    let status = client.ping().await.map_err(js_err)?;
    let out = serde_json::json!({"status": status, "requests": client.log().len()});
    to_js(&out)
}
