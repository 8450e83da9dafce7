//! `chunkscope probe`: how a registry answers byte ranges, which behaviour class that puts it
//! in, and what the reference puller will do there.

use crate::args::{Arg, Parser};
use crate::{n, sources};
use chunkscope::executor::block_on;
use chunkscope::oci::Platform;
use chunkscope::registry::native::UreqTransport;
use chunkscope::registry::probe::{ProbeOptions, ProbeReport};
use chunkscope::registry::{ImageRef, RegistryClient};
use chunkscope::{Error, Result};
use std::process::ExitCode;

pub const USAGE: &str = "usage: chunkscope probe docker://HOST[:PORT]/REPO[:TAG|@DIGEST] [--json] [--ladder] [--platform OS/ARCH] [--insecure] [--token T] [--user U:P]

Classifies how the registry answers byte ranges on the image's largest layer blob, with a handful
of tiny requests (a few KiB in all): one single range, the same range again, and one request of
two ranges. Prints the behaviour class (multipart, whole-body, rejected, range-cap,
first-range-only, no-range, first-200), what podman / CRI-O partial pulls will do there, and the
configuration that fixes it.

  --ladder      also send 16, 64, 256 and 1024 ranges in one request and bisect between the last
                accepted and the first refused count, to find a range cap exactly
  --json        print the probe report as one JSON document (schema in README.md)
  --platform    OS/ARCH[/VARIANT] to pick from an image index
  --insecure, --token T, --user U:P   as for inspect";

struct Args {
    image: String,
    json: bool,
    ladder: bool,
    platform: Option<Platform>,
    registry: sources::RegistryOptions,
}

fn parse_args(args: &[String]) -> Result<Args> {
    let mut p = Parser::new(args, USAGE, "chunkscope probe --help");
    let mut a = Args {
        image: String::new(),
        json: false,
        ladder: false,
        platform: None,
        registry: sources::RegistryOptions::default(),
    };
    while let Some(arg) = p.next_arg() {
        match arg {
            Arg::Flag("--json") => a.json = true,
            Arg::Flag("--ladder") => a.ladder = true,
            Arg::Flag("--platform") => a.platform = Some(Platform::parse(&p.value("--platform")?)?),
            Arg::Flag(s) if a.registry.parse_flag(s, &mut |n| p.value(n))? => {}
            Arg::Positional(s) if a.image.is_empty() => a.image = s.to_string(),
            other => return Err(p.unexpected(other)),
        }
    }
    if a.image.is_empty() {
        return Err(p.usage("no image given"));
    }
    Ok(a)
}

pub fn run(args: &[String]) -> Result<ExitCode> {
    let a = parse_args(args)?;
    let rest = a.image.strip_prefix("docker://").ok_or_else(|| {
        Error::Usage(format!(
            "probe needs a registry image, docker://HOST[:PORT]/REPO[:TAG|@DIGEST], not {:?}",
            a.image
        ))
    })?;
    let image = ImageRef::parse(rest, a.registry.insecure)?;
    let mut client =
        RegistryClient::new(UreqTransport::new(), image, a.registry.credentials.clone());
    let report = block_on(async {
        let layer = client.probe_target(a.platform.as_ref()).await?;
        client
            .probe(
                &layer.digest,
                Some(layer.size),
                ProbeOptions {
                    multi: true,
                    ladder: a.ladder,
                },
            )
            .await
    })?;
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Error::Io(e.to_string()))?
        );
    } else {
        print_human(&report);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_human(p: &ProbeReport) {
    let class = p
        .behaviour()
        .map(|b| b.to_string())
        .unwrap_or_else(|| "unknown".into());
    out!(
        "blob      {} ({} bytes)",
        p.blob,
        p.blob_size.map(n).unwrap_or_else(|| "?".into())
    );
    out!("class     {class}");
    out!("verdict   {}", p.verdict.as_str());
    out!("          {}", p.verdict_text);
    if let Some(r) = &p.redirected_to {
        out!("redirect  blobs are served from {r}");
    }
    let status = |s: Option<u16>| s.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
    out!(
        "answers   single range {}, again {}, 2 ranges {}",
        p.single_range.status,
        p.repeat_range.status,
        status(p.multi_range.status)
    );
    if !p.ladder.is_empty() {
        let steps: Vec<String> = p
            .ladder
            .iter()
            .map(|s| format!("{}→{}", s.ranges, s.status))
            .collect();
        out!("ladder    {}", steps.join(" "));
    }
    out!(
        "cost      {} bytes in {} requests",
        n(p.bytes_fetched),
        p.requests
    );
    if !p.fix.is_empty() {
        out!("\nfix:\n{}", p.fix);
    }
    if !p.browser_fix.is_empty() {
        out!(
            "\nfor browsers (the storage blobs are redirected to):\n{}",
            p.browser_fix
        );
    }
}
