//! `planPull`: the planner over images inspected in the page (or inspected now, once).

use super::inspect::{cached, remember};
use super::{attach_progress, from_js, js_err, js_err_in, to_js, JsResult, Target};
use crate::error::Error;
use crate::image::{inspect_image, InspectedImage};
use crate::inspect::InspectOptions;
use crate::plan::predict::{predict, ErrorBody, PredictOptions, DEFAULT_RETRIES};
use crate::plan::{plan_pull, LayerInput, PlanOptions};
use crate::registry::behaviour::RegistryBehaviour;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct PlanArgs {
    want: Target,
    have: Vec<Target>,
    chunk_reuse: Option<bool>,
    hard_links: bool,
    budget: Option<usize>,
    insecure_allow_unpredictable_image_contents: bool,
    registry_behaviour: Option<RegistryBehaviour>,
    error_body: ErrorBody,
    retries: Option<u32>,
}

/// `planPull({want: Target, have: [Target], chunkReuse?, hardLinks?, budget?, registryBehaviour?,
/// errorBody?, retries?})` → what pulling `want` into a store holding the `have` images costs: the
/// reference puller's plan per layer, the single-range plan and its requests↔bytes curve, the
/// cost against a registry that ignores multi-range requests, and with `registryBehaviour`
/// (`{class, status, cap}`) the prediction of what podman really does on that registry
/// (`predicted`). Reads each image's TOCs (and the wanted image's tar-splits, which the reference
/// checks against its TOCs), one request per layer.
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
        // The wanted image's tar-split too: the reference checks it against the TOC.
        let o = InspectOptions {
            tar_split: i == 0,
            ..o
        };
        let img = inspect_image(&mut client, &name, t.platform()?.as_ref(), o)
            .await
            .map_err(|e| {
                let role = if i == 0 { "wanted" } else { "have" };
                js_err_in(&e, Some(&format!("{role} image {name}")))
            })?;
        bytes += client.bytes_fetched();
        requests += client.log().len();
        images.push(remember(t, img));
    }
    let images: Vec<&InspectedImage> = images.iter().map(|i| &**i).collect();
    plan_report(&args, &images, bytes, requests, "planPull")
}

/// The plan of pulling `images[0]` over `images[1..]` with `args`' options (and the prediction
/// on `args.registryBehaviour`), as `planPull` and `planLayout` return it: the plan, the image
/// reports, and what reading them cost.
pub(super) fn plan_report(
    args: &PlanArgs,
    images: &[&InspectedImage],
    bytes_fetched: u64,
    requests: usize,
    api: &str,
) -> JsResult {
    let want = LayerInput::image(images[0]);
    let have: Vec<LayerInput> = images[1..]
        .iter()
        .flat_map(|i| LayerInput::image(i))
        .collect();
    let popts = PlanOptions {
        chunk_reuse: args.chunk_reuse.unwrap_or(true),
        hard_links: args.hard_links,
        budget: args.budget,
        insecure_allow_unpredictable_image_contents: args
            .insecure_allow_unpredictable_image_contents,
    };
    let mut plan = plan_pull(&want, &have, &popts);
    if let Some(b) = &args.registry_behaviour {
        // The same rules as the text form: a status for rejected/range-cap, a cap for range-cap.
        let b: RegistryBehaviour = b
            .to_string()
            .parse()
            .map_err(|e| js_err(Error::Input(format!("{api}: {e}"))))?;
        let retries = args.retries.unwrap_or(DEFAULT_RETRIES);
        if retries > 100 {
            return Err(js_err(Error::Input(format!(
                "{api}: retries must be 0 to 100"
            ))));
        }
        predict(
            &mut plan,
            &PredictOptions {
                behaviour: b,
                error_body: args.error_body,
                retries,
                config_bytes: Some(images[0].manifest.config.size),
            },
        );
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Out<'a> {
        #[serde(flatten)]
        plan: crate::plan::PullPlan,
        want: &'a crate::image::ImageReport,
        have: Vec<&'a crate::image::ImageReport>,
        bytes_fetched: u64,
        requests: usize,
    }
    to_js(&Out {
        plan,
        want: &images[0].report,
        have: images[1..].iter().map(|i| &i.report).collect(),
        bytes_fetched,
        requests,
    })
}
