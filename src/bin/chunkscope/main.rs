//! The `chunkscope` command line: inspect zstd:chunked layers from OCI layouts, blob files and
//! registries. Argument handling and output formatting only; the work happens in the library.

use chunkscope::image::ImageReport;
use chunkscope::inspect::eligibility::PullOutcome;
use chunkscope::inspect::hazards::HazardPull;
use chunkscope::inspect::report::{Landmark, LayerReport};
use chunkscope::inspect::InspectOptions;
use chunkscope::oci::Platform;
use chunkscope::source::inspect_image_blocking;
use chunkscope::{Error, Result};
use std::collections::BTreeMap;
use std::process::ExitCode;

/// `println!` that ends the process quietly when stdout is closed (`chunkscope … | head`).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod args;
mod http1;
mod plan;
mod probe;
mod serve;
mod sources;

const USAGE: &str = "usage: chunkscope inspect SOURCE [--json] [--files] [--toc-only] [--footer] [--platform OS/ARCH] [--annotations JSON] [--insecure] [--token T] [--user U:P]
       chunkscope plan WANT [--have SOURCE]... [--no-chunk-reuse] [--hard-links] [--budget K] [--registry-behaviour CLASS[:STATUS][:CAP] | --probe] [--json] (chunkscope plan --help)
       chunkscope probe docker://HOST[:PORT]/REPO[:TAG|@DIGEST] [--json] [--ladder] (chunkscope probe --help)
       chunkscope serve [--port P] [--open] [--insecure] [--www DIR]   the web inspector on 127.0.0.1, reaching registries without CORS (chunkscope serve --help)

SOURCE is one of:
  oci:DIR[:TAG]     an OCI image layout directory
  file:BLOB         one layer blob (add --annotations '{\"key\":\"value\"}' to supply its descriptor annotations)
  docker://HOST[:PORT]/REPO[:TAG|@DIGEST]
                    an image in a registry (--insecure for plain http; --token T or --user U:P for auth)

  --json        print one JSON document (schema in README.md)
  --files       include every file with its chunks (fileList)
  --toc-only    read only the TOC, not the tar-split (fewer bytes, fewer checks)
  --footer      also read and check the footer";

/// glibc's `mallopt(M_MMAP_THRESHOLD, 1 MiB)`: every allocation of 1 MiB or more (a TOC's JSON
/// text, its entries, the files) gets its own mapping, which grows in place (`mremap`) and goes
/// back to the system when freed. By default glibc raises that threshold each time such a block
/// is freed (up to 32 MiB), after which the next big buffers come from the heap, where growing
/// copies and freeing keeps the pages: the 154,000-entry layer's TOC-only peak RSS varied between
/// 61 and 67 MB with the order of frees, and is 61 MB with the fixed threshold.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn fixed_mmap_threshold() {
    extern "C" {
        fn mallopt(param: std::os::raw::c_int, value: std::os::raw::c_int) -> std::os::raw::c_int;
    }
    const M_MMAP_THRESHOLD: std::os::raw::c_int = -3;
    // SAFETY: sets one allocator parameter (glibc's documented API, no pointers involved),
    // before any other thread exists.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn main() -> ExitCode {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fixed_mmap_threshold();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("plan") => plan::run(&args[1..]),
        Some("probe") => probe::run(&args[1..]),
        Some("serve") => serve::run(&args[1..]),
        _ => run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("chunkscope: {e}");
            // With --json, the typed error on stdout too: `{"error": {kind, message, …}}`.
            if args.iter().any(|a| a == "--json") {
                if let Ok(j) = serde_json::to_string(&serde_json::json!({ "error": e })) {
                    out!("{j}");
                }
            }
            ExitCode::from(2)
        }
    }
}

struct Args {
    source: String,
    json: bool,
    opts: InspectOptions,
    platform: Option<Platform>,
    annotations: BTreeMap<String, String>,
    registry: sources::RegistryOptions,
}

fn parse_args(args: &[String]) -> Result<Args> {
    let mut p = args::Parser::new(args, USAGE, "chunkscope --help");
    match p.next_arg() {
        Some(args::Arg::Positional("inspect")) => {}
        Some(args::Arg::Positional("help")) => {
            out!("{USAGE}");
            std::process::exit(0);
        }
        Some(args::Arg::Positional(other) | args::Arg::Flag(other)) => {
            return Err(p.usage(&format!("unknown command {other:?}")))
        }
        None => return Err(p.usage("no command given")),
    }
    let mut a = Args {
        source: String::new(),
        json: false,
        opts: InspectOptions {
            tar_split: true,
            footer: false,
            files: false,
        },
        platform: None,
        annotations: BTreeMap::new(),
        registry: sources::RegistryOptions::default(),
    };
    while let Some(arg) = p.next_arg() {
        match arg {
            args::Arg::Flag("--json") => a.json = true,
            args::Arg::Flag("--files") => a.opts.files = true,
            args::Arg::Flag("--toc-only") => a.opts.tar_split = false,
            args::Arg::Flag("--footer") => a.opts.footer = true,
            args::Arg::Flag("--platform") => {
                a.platform = Some(Platform::parse(&p.value("--platform")?)?)
            }
            args::Arg::Flag("--annotations") => {
                let v = p.value("--annotations")?;
                a.annotations = serde_json::from_str(&v)
                    .map_err(|e| p.usage(&format!("--annotations: {e}")))?;
            }
            args::Arg::Flag(s) if a.registry.parse_flag(s, &mut |n| p.value(n))? => {}
            args::Arg::Positional(s) if a.source.is_empty() => a.source = s.to_string(),
            other => return Err(p.unexpected(other)),
        }
    }
    if a.source.is_empty() {
        return Err(p.usage("no SOURCE given"));
    }
    Ok(a)
}

fn run(args: &[String]) -> Result<ExitCode> {
    let a = parse_args(args)?;
    let mut src = sources::open(&a.source, &a.annotations, &a.registry)?;
    let inspected = inspect_image_blocking(&mut src, &a.source, a.platform.as_ref(), a.opts)?;
    let report = inspected.report;
    // The layers' file models (154,000 files of a big layer: 4% of a TOC-only run's instructions
    // to free) are not needed again, and the process ends after the output: the OS reclaims
    // them at once.
    std::mem::forget(inspected.layers);
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&report)
                .map_err(|e| Error::Internal(format!("JSON output: {e}")))?
        );
    } else {
        print_human(&report);
    }
    let failed = report
        .layers
        .iter()
        .any(|l| l.error.is_some() || l.checks.values().any(|c| !c.passed()));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Thousands separators: 1818924 → "1,818,924".
pub(crate) fn n(x: u64) -> String {
    chunkscope::text::thousands(x)
}

fn print_human(r: &ImageReport) {
    out!("{}", r.source);
    if let Some(d) = &r.manifest_digest {
        out!(
            "  manifest {d}{}",
            r.platform
                .as_ref()
                .map(|p| format!("  platform {p}"))
                .unwrap_or_default()
        );
    }
    for (i, l) in r.layers.iter().enumerate() {
        print_layer(i + 1, r.layers.len(), l);
    }
    out!(
        "total: read {} bytes in {} range(s)",
        n(r.bytes_read),
        r.reads
    );
}

/// `offset O length L (U uncompressed)[, digest verified]{extra}` for a metadata section.
fn section((offset, length, uncompressed): (u64, u64, u64), verified: bool, extra: &str) -> String {
    let verified = if verified { ", digest verified" } else { "" };
    format!(
        "offset {} length {} ({} uncompressed){verified}{extra}",
        n(offset),
        n(length),
        n(uncompressed)
    )
}

fn print_layer(i: usize, of: usize, l: &LayerReport) {
    out!(
        "layer {i}/{of} {}  {} bytes  {} (annotations: {})",
        l.digest,
        n(l.size),
        l.format,
        l.annotations
    );
    if let Some(f) = &l.footer {
        out!("  footer    {}", f.variant);
    }
    if let Some(t) = &l.toc {
        let (at, verified) = (
            (t.offset, t.length, t.uncompressed_length),
            t.digest_verified,
        );
        out!("  TOC       {}", section(at, verified, ""));
    }
    if let Some(t) = &l.tar_split {
        let tar = t
            .tar_size
            .map(|s| format!(", tar {} bytes", n(s)))
            .unwrap_or_default();
        let (at, verified) = (
            (t.offset, t.length, t.uncompressed_length),
            t.digest_verified,
        );
        out!("  tar-split {}", section(at, verified, &tar));
        if let Some(nr) = &t.not_read {
            out!(
                "  not read  {} of {} bytes: over chunkscope's {}-byte limit (the reference puller has none); inspected as with --toc-only",
                nr.what,
                n(nr.size),
                n(nr.limit)
            );
        }
    }
    if let Some(nr) = &l.not_read {
        out!(
            "  not read  {} of {} bytes: over the {}-byte limit (the reference puller does not read it either)",
            nr.what,
            n(nr.size),
            n(nr.limit)
        );
    } else if l.toc.is_some() {
        out!(
            "  entries   {}: {} files ({} multi-chunk), {} dirs, {} symlinks, {} hardlinks; {} chunks ({} zeros)",
            l.entries, l.files, l.multi_chunk_files, l.directories, l.symlinks, l.hardlinks, l.chunks, l.zero_chunks
        );
    }
    let pp = &l.partial_pull;
    let code = serde_json::to_value(pp.code).unwrap_or_default();
    let code = code.as_str().unwrap_or("");
    match pp.outcome {
        PullOutcome::Partial => out!("  puller    partial pull ({code})"),
        PullOutcome::FullPull => out!(
            "  puller    full pull ({code}): {}",
            pp.reason.as_deref().unwrap_or("")
        ),
        PullOutcome::Fails => {
            out!(
                "  puller    PULL FAILS ({code}): {}",
                pp.reason.as_deref().unwrap_or("")
            );
            if let Some(e) = &pp.error {
                out!("            error: {e}");
            }
        }
    }
    out!("            rule: {}", pp.source);
    if let Some(e) = &l.estargz {
        let landmark = match e.landmark {
            Some(Landmark::Prefetch) => format!(
                "{} prioritized file(s) before .prefetch.landmark",
                e.prioritized_files.len()
            ),
            Some(Landmark::NoPrefetch) => "no prioritized files (.no.prefetch.landmark)".into(),
            None => "no landmark".into(),
        };
        let ip = &e.insecure_pull;
        let with = match ip.outcome {
            PullOutcome::Partial => "partial pull".to_string(),
            PullOutcome::FullPull => format!("full pull: {}", ip.reason.as_deref().unwrap_or("")),
            PullOutcome::Fails => format!(
                "PULL FAILS: {}",
                ip.error.as_deref().or(ip.reason.as_deref()).unwrap_or("")
            ),
        };
        out!("  estargz   {}; {landmark}", e.kind.format());
        out!("            with insecure_allow_unpredictable_image_contents: {with}");
    }
    for h in &l.pull_hazards {
        let pull = match h.pull {
            HazardPull::Partial => "partial pull",
            HazardPull::FullPull => "full pull",
        };
        let kind = serde_json::to_value(h.kind).unwrap_or_default();
        out!(
            "  hazard    {pull}: {} ({} {}, e.g. {}): {}",
            kind.as_str().unwrap_or(""),
            h.count,
            if h.count == 1 { "entry" } else { "entries" },
            h.examples
                .iter()
                .map(|e| format!("{e:?}"))
                .collect::<Vec<_>>()
                .join(", "),
            h.detail
        );
    }
    let passed = l.checks.values().filter(|c| c.passed()).count();
    out!("  checks    {passed}/{} pass", l.checks.len());
    for (name, check) in &l.checks {
        if !check.passed() {
            let name = serde_json::to_value(name).unwrap_or_default();
            out!(
                "    FAIL {}: {}",
                name.as_str().unwrap_or(""),
                check.detail.as_deref().unwrap_or("")
            );
        }
    }
    if let Some(e) = &l.error {
        out!("  error     {e}");
    }
    let pct = if l.size > 0 {
        100.0 * l.bytes_read as f64 / l.size as f64
    } else {
        0.0
    };
    out!(
        "  read      {} bytes in {} range(s) ({pct:.2}% of the blob)",
        n(l.bytes_read),
        l.reads
    );
}
