//! `chunkscope plan`: what pulling an image costs when other images are already present, as the
//! reference puller does it and as chunkscope recommends for one-range-per-request registries.

use crate::args::{Arg, Parser};
use crate::{n, sources};
use chunkscope::executor::block_on;
use chunkscope::inspect::eligibility::PullOutcome;
use chunkscope::inspect::InspectOptions;
use chunkscope::oci::Platform;
use chunkscope::plan::predict::{predict, ErrorBody, Outcome, PredictOptions, DEFAULT_RETRIES};
use chunkscope::plan::{plan_pull, LayerInput, LayerPlan, PlanOptions, PullPlan};
use chunkscope::registry::behaviour::{BehaviourClass, RegistryBehaviour};
use chunkscope::registry::native::UreqTransport;
use chunkscope::registry::probe::{ProbeOptions, ProbeReport};
use chunkscope::registry::{ImageRef, RegistryClient};
use chunkscope::source::{inspect_image_blocking, InspectedImage};
use chunkscope::{Error, Result};
use std::collections::BTreeMap;
use std::process::ExitCode;

pub const USAGE: &str = "usage: chunkscope plan WANT [--have SOURCE]... [--no-chunk-reuse] [--hard-links] [--budget K] [--registry-behaviour CLASS[:STATUS][:CAP]] [--error-body json|text] [--retries N] [--probe] [--insecure-allow-unpredictable-image-contents] [--json] [--platform OS/ARCH] [--insecure] [--token T] [--user U:P]

Plans pulling the image WANT into a store that already holds the --have images (any number):
what the reference puller (podman / containers-storage) would request per layer, and
chunkscope's single-range plan for registries that take one range per request.
WANT and SOURCE are oci:DIR[:TAG], file:BLOB or docker://HOST[:PORT]/REPO[:TAG|@DIGEST].
Only the TOCs are read.

  --have SOURCE     an image already in the store (repeatable)
  --no-chunk-reuse  do not reuse chunks of changed files (newest containers-storage without reflinks)
  --hard-links      use_hard_links = \"true\": files match by digest + uid/gid/mode/xattrs
  --budget K        data requests per layer for the single-range plan (default: automatic)
  --insecure-allow-unpredictable-image-contents
                    insecure_allow_unpredictable_image_contents = \"true\": eStargz layers are
                    pulled partially (footer, TOC, missing chunks)
  --registry-behaviour CLASS[:STATUS][:CAP]
                    predict what podman really does on a registry that answers ranges this
                    way: multipart, whole-body, rejected:400, rejected:416, range-cap:400:64,
                    first-range-only, no-range, first-200 (README: registry behaviour classes)
  --error-body json|text   the registry's refusals carry a registry JSON error (podman then
                    retries a failed pull) or not (default text)
  --retries N       podman's --retry for the prediction (default 3)
  --probe           probe WANT's registry (as `chunkscope probe --ladder`, plus one refused
                    request to see whether refusals are registry JSON errors) and predict on
                    the class found; WANT must be docker://
  --json            print the plan as one JSON document
  --platform        OS/ARCH[/VARIANT] to pick from image indexes (all images)
  --insecure, --token T, --user U:P   as for inspect (registry sources)";

struct Args {
    want: String,
    have: Vec<String>,
    opts: PlanOptions,
    predict: Option<PredictOptions>,
    error_body: ErrorBody,
    retries: u32,
    error_body_given: bool,
    probe: bool,
    json: bool,
    platform: Option<Platform>,
    registry: sources::RegistryOptions,
}

fn parse_args(args: &[String]) -> Result<Args> {
    let mut p = Parser::new(args, USAGE, "chunkscope plan --help");
    let mut a = Args {
        want: String::new(),
        have: Vec::new(),
        opts: PlanOptions::default(),
        predict: None,
        error_body: ErrorBody::default(),
        retries: DEFAULT_RETRIES,
        error_body_given: false,
        probe: false,
        json: false,
        platform: None,
        registry: sources::RegistryOptions::default(),
    };
    while let Some(arg) = p.next_arg() {
        match arg {
            Arg::Flag("--have") => a.have.push(p.value("--have")?),
            Arg::Flag("--no-chunk-reuse") => a.opts.chunk_reuse = false,
            Arg::Flag("--hard-links") => a.opts.hard_links = true,
            Arg::Flag("--insecure-allow-unpredictable-image-contents") => {
                a.opts.insecure_allow_unpredictable_image_contents = true
            }
            Arg::Flag("--budget") => {
                let v = p.value("--budget")?;
                match v.parse::<usize>() {
                    Ok(k) if k >= 1 => a.opts.budget = Some(k),
                    _ => return Err(p.usage(&format!("--budget {v:?}: expected a number ≥ 1"))),
                }
            }
            Arg::Flag("--registry-behaviour") => {
                let v = p.value("--registry-behaviour")?;
                let b: RegistryBehaviour = v.parse().map_err(|e| p.usage(&format!("{e}")))?;
                a.predict = Some(PredictOptions::new(b));
            }
            Arg::Flag("--probe") => a.probe = true,
            Arg::Flag("--error-body") => {
                a.error_body_given = true;
                a.error_body = match p.value("--error-body")?.as_str() {
                    "json" => ErrorBody::Json,
                    "text" => ErrorBody::Text,
                    v => return Err(p.usage(&format!("--error-body {v:?}: expected json or text"))),
                }
            }
            Arg::Flag("--retries") => {
                let v = p.value("--retries")?;
                a.retries = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n <= 100)
                    .ok_or_else(|| p.usage(&format!("--retries {v:?}: expected 0 to 100")))?;
            }
            Arg::Flag("--json") => a.json = true,
            Arg::Flag("--platform") => a.platform = Some(Platform::parse(&p.value("--platform")?)?),
            Arg::Flag(s) if a.registry.parse_flag(s, &mut |n| p.value(n))? => {}
            Arg::Positional(s) if a.want.is_empty() => a.want = s.to_string(),
            other => return Err(p.unexpected(other)),
        }
    }
    if a.want.is_empty() {
        return Err(p.usage("no WANT image given"));
    }
    if a.probe && a.predict.is_some() {
        return Err(p.usage("give --probe or --registry-behaviour, not both"));
    }
    if a.probe && !a.want.starts_with("docker://") {
        return Err(p.usage("--probe needs a registry image: docker://HOST[:PORT]/REPO[:TAG]"));
    }
    Ok(a)
}

fn load(spec: &str, a: &Args, want: bool) -> Result<InspectedImage> {
    let mut src = sources::open(spec, &BTreeMap::new(), &a.registry)?;
    // The TOC is all the planner needs of the images present; of the wanted one, the reference
    // also checks the tar-split against the TOC (a mismatch fails the pull), in the same range.
    let opts = InspectOptions {
        tar_split: want,
        footer: false,
        files: false,
    };
    inspect_image_blocking(&mut src, spec, a.platform.as_ref(), opts)
}

pub fn run(args: &[String]) -> Result<ExitCode> {
    let a = parse_args(args)?;
    // Probe first: a `first-200` registry answers only the first ranged request per blob with
    // 200, and reading the TOCs would spend it.
    let probed_first = if a.probe {
        Some(probe_behaviour(&a)?)
    } else {
        None
    };
    let want = load(&a.want, &a, true)?;
    let have: Vec<InspectedImage> = a
        .have
        .iter()
        .map(|s| load(s, &a, false))
        .collect::<Result<_>>()?;
    let want_inputs = LayerInput::image(&want);
    let have_inputs: Vec<LayerInput> = have.iter().flat_map(LayerInput::image).collect();
    let mut plan = plan_pull(&want_inputs, &have_inputs, &a.opts);
    let mut probed = None;
    let mut error_body = a.error_body;
    let predict_opts = if let Some((b, body, report)) = probed_first {
        if !a.error_body_given {
            error_body = body.unwrap_or_default();
        }
        probed = Some(report);
        Some(PredictOptions::new(b))
    } else {
        a.predict
    };
    if let Some(mut o) = predict_opts {
        o.error_body = error_body;
        o.retries = a.retries;
        o.config_bytes = Some(want.manifest.config.size);
        predict(&mut plan, &o);
    }
    if a.json {
        #[derive(serde::Serialize)]
        struct WithProbe<'a> {
            #[serde(flatten)]
            plan: &'a PullPlan,
            probe: &'a ProbeReport,
        }
        let text = match &probed {
            Some(probe) => serde_json::to_string_pretty(&WithProbe { plan: &plan, probe }),
            None => serde_json::to_string_pretty(&plan),
        };
        out!(
            "{}",
            text.map_err(|e| Error::Internal(format!("JSON output: {e}")))?
        );
    } else {
        if let Some(r) = &probed {
            out!(
                "probed {}: class {}, {} bytes in {} requests",
                short(&r.blob),
                plan.totals
                    .predicted
                    .as_ref()
                    .map(|t| t.behaviour.as_str())
                    .unwrap_or("?"),
                n(r.bytes_fetched),
                r.requests
            );
        }
        print_human(&a, &plan);
    }
    Ok(ExitCode::SUCCESS)
}

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

fn short(digest: &str) -> &str {
    let hex = digest.split_once(':').map(|(_, h)| h).unwrap_or(digest);
    // Up to 12 characters, cut on a character boundary whatever the input.
    let end = hex
        .char_indices()
        .nth(12)
        .map(|(i, _)| i)
        .unwrap_or(hex.len());
    &hex[..end]
}

/// Whether the reference's pull fails on this layer (no fallback).
fn failing(l: &LayerPlan) -> bool {
    l.verdict
        .as_ref()
        .is_some_and(|v| v.outcome == PullOutcome::Fails)
}

fn how(l: &LayerPlan) -> String {
    match (l.reused_by, &l.fallback) {
        (Some(by), _) => format!("reused ({by})"),
        (None, Some(_)) if failing(l) => "pull fails".into(),
        (None, Some(_)) => "full pull".into(),
        (None, None) => "partial".into(),
    }
}

fn print_human(a: &Args, p: &PullPlan) {
    out!("plan: pull {}", a.want);
    if a.have.is_empty() {
        out!("  into an empty store");
    }
    for h in &a.have {
        out!("  having {h}");
    }
    out!(
        "  chunk reuse {}, hard links {}, single-range budget {}",
        if p.options.chunk_reuse { "on" } else { "off" },
        if p.options.hard_links { "on" } else { "off" },
        p.options
            .budget
            .map(|k| format!("{k} per layer"))
            .unwrap_or_else(|| "automatic".into())
    );
    out!();
    out!(
        "{:>5}  {:<12}  {:>11}  {:<20}  {:>4}  {:>8}  {:>11}  {:>6}  {:>16}  {:>11}  {:>11}",
        "layer",
        "digest",
        "blob",
        "reference puller",
        "reqs",
        "ranges",
        "fetch",
        "%",
        "single-range",
        "single",
        "200-to-multi"
    );
    let of = p.layers.len();
    for l in &p.layers {
        let ranges = l
            .ranges_per_request
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join("+");
        out!(
            "{:>5}  {:<12}  {:>11}  {:<20}  {:>4}  {:>8}  {:>11}  {:>6}  {:>16}  {:>11}  {:>11}",
            format!("{}/{of}", l.index),
            short(&l.digest),
            n(l.full_pull_bytes),
            how(l),
            l.requests,
            if ranges.is_empty() {
                "-".into()
            } else {
                ranges
            },
            n(l.fetch_bytes),
            pct(l.fetch_bytes, l.full_pull_bytes),
            format!(
                "K={} {} req",
                l.single_range.budget, l.single_range.requests
            ),
            n(l.single_range.bytes),
            n(l.ignores_multi_range_bytes),
        );
    }
    let t = &p.totals;
    out!(
        "{:>5}  {:<12}  {:>11}  {:<20}  {:>4}  {:>8}  {:>11}  {:>6}  {:>16}  {:>11}  {:>11}",
        "total",
        "",
        n(t.full_pull_bytes),
        if t.failing_layers > 0 {
            format!(
                "{} reused, {} full, {} FAIL",
                t.reused_layers,
                t.fallback_layers - t.failing_layers,
                t.failing_layers
            )
        } else {
            format!("{} reused, {} full", t.reused_layers, t.fallback_layers)
        },
        t.requests,
        t.ranges,
        n(t.fetch_bytes),
        pct(t.fetch_bytes, t.full_pull_bytes),
        format!("{} req", t.single_range.requests),
        n(t.single_range.bytes),
        n(t.ignores_multi_range_bytes),
    );
    out!();
    for l in &p.layers {
        if l.reused {
            continue;
        }
        // One out! per line: a bare print! would panic on a closed pipe (`… | head`).
        let head = format!("layer {}: ", l.index);
        if let Some(why) = &l.fallback {
            if failing(l) {
                out!("{head}{why}");
            } else {
                out!("{head}full pull: {why}");
            }
            continue;
        }
        out!(
            "{head}metadata {} bytes; files {} missing, {} local; chunks {} to fetch ({} bytes), {} local, {} zeros; {} bytes bridged",
            n(l.metadata_bytes),
            l.missing_files,
            l.local_files,
            l.missing_chunks,
            n(l.missing_bytes),
            l.local_chunks,
            l.zero_chunks,
            n(l.bridged_bytes)
        );
        let sr = &l.single_range;
        if !sr.curve.is_empty() {
            let pts: Vec<String> = sr
                .curve
                .iter()
                .filter(|c| {
                    c.requests == 1 || c.requests == sr.data_ranges || c.requests.is_power_of_two()
                })
                .map(|c| format!("{}→{}", c.requests, n(c.bytes)))
                .collect();
            out!(
                "  single-range data requests→bytes: {} (metadata: 1 request, {} bytes)",
                pts.join(", "),
                n(sr.metadata_bytes)
            );
        }
    }
    if let Some(pt) = &t.predicted {
        print_prediction(p, pt);
    }
    if t.failing_layers > 0 {
        out!(
            "\nreference puller: the pull FAILS on {} (after its metadata request); nothing is pulled",
            if t.failing_layers == 1 {
                "1 layer".to_string()
            } else {
                format!("{} layers", t.failing_layers)
            }
        );
    } else {
        out!(
            "\nreference puller: {} requests, {} bytes ({} of a full pull, {} saved); single-range plan: {} requests, {} bytes; against a registry answering multi-range requests with 200: {} bytes",
            t.requests,
            n(t.fetch_bytes),
            pct(t.fetch_bytes, t.full_pull_bytes),
            if t.saved_bytes >= 0 { n(t.saved_bytes as u64) } else { format!("-{}", n(t.saved_bytes.unsigned_abs())) },
            t.single_range.requests,
            n(t.single_range.bytes),
            n(t.ignores_multi_range_bytes),
        );
    }
    if let Some(pt) = &t.predicted {
        out!(
            "predicted on {}: {}, {} requests, {} bytes ({} of a full pull)",
            pt.behaviour,
            outcome_text(pt.outcome),
            pt.requests,
            n(pt.bytes),
            pct(pt.bytes, t.full_pull_bytes)
        );
    }
}

/// Probes the wanted image's registry on its largest layer (the ladder included, for a cap)
/// and, for a 4xx refusal, what the refusal's body is.
fn probe_behaviour(a: &Args) -> Result<(RegistryBehaviour, Option<ErrorBody>, ProbeReport)> {
    let rest = a.want.strip_prefix("docker://").unwrap_or(&a.want);
    let image = ImageRef::parse(rest, a.registry.insecure)?;
    let mut client =
        RegistryClient::new(UreqTransport::new(), image, a.registry.credentials.clone());
    block_on(async {
        let layer = client.probe_target(a.platform.as_ref()).await?;
        let report = client
            .probe(
                &layer.digest,
                Some(layer.size),
                ProbeOptions {
                    multi: true,
                    ladder: true,
                },
            )
            .await?;
        let b = report.behaviour().ok_or_else(|| {
            Error::Unsupported(format!(
                "the probe could not classify the registry ({}): give --registry-behaviour",
                report.verdict.as_str()
            ))
        })?;
        let refused = match (b.class, b.status) {
            (BehaviourClass::Rejected, Some(s)) if (400..500).contains(&s) => Some(2),
            (BehaviourClass::RangeCap, Some(s)) if (400..500).contains(&s) => {
                b.cap.map(|c| c.saturating_add(1))
            }
            _ => None,
        };
        let body = match refused {
            Some(n) => client
                .refusal_body(&layer.digest, n)
                .await?
                .map(|(_, body)| body),
            None => None,
        };
        Ok((b, body, report))
    })
}

fn outcome_text(o: Outcome) -> &'static str {
    match o {
        Outcome::Partial => "partial",
        Outcome::DoubleDownload => "double download",
        Outcome::FullFallback => "full-pull fallback",
        Outcome::Fails => "FAILS",
    }
}

fn print_prediction(p: &PullPlan, pt: &chunkscope::plan::predict::PredictedTotals) {
    out!(
        "\npredicted on a {} registry (errors {}): what podman 5.4 really does",
        pt.behaviour,
        match pt.error_body {
            ErrorBody::Json => "as registry JSON",
            ErrorBody::Text => "not as registry JSON",
        }
    );
    for l in &p.layers {
        let Some(pr) = &l.predicted else { continue };
        // The first attempt's requests; later attempts repeat them.
        let first: Vec<String> = pr
            .requests
            .iter()
            .filter(|r| r.attempt == 1)
            .map(|r| {
                let what = if r.ranges.is_empty() {
                    format!("{} GET", r.kind)
                } else {
                    format!("{} {} ranges", r.kind, r.ranges.len())
                };
                format!("{what} → {} ({} bytes)", r.status, n(r.bytes))
            })
            .collect();
        out!(
            "  layer {}: {}, {} requests, {} bytes ({} of the blob): {}",
            l.index,
            outcome_text(pr.outcome),
            pr.requests.len(),
            n(pr.bytes),
            pct(pr.bytes, l.full_pull_bytes),
            first.join("; ")
        );
        if let Some(e) = &pr.error {
            out!("    error: {e}");
        }
    }
    out!(
        "  pull: {}, {} attempt{}, {} requests ({} for layers, {} config), {} bytes ({} of a full pull){}",
        outcome_text(pt.outcome),
        pt.attempts,
        if pt.attempts == 1 { "" } else { "s" },
        pt.requests,
        pt.layer_requests,
        pt.attempts,
        n(pt.bytes),
        pct(pt.bytes, p.totals.full_pull_bytes),
        if pt.outcome == Outcome::Fails { " before failing" } else { "" }
    );
    if let Some(e) = &pt.error {
        out!("  podman: Error: {e}");
    }
}
