//! chunkscope: see inside zstd:chunked (and eStargz) container image layers, and what a partial
//! pull of them costs.
//!
//! The crate is a sans-IO core with thin adapters at its edges. Everything a user of the crate
//! needs (another wasm crate, a registry UI written in Rust, a tool) is re-exported here at the
//! root; the modules stay public for the lower layers (the byte-level parsers in
//! [`format`](mod@format), the report types in [`inspect::report`], the planner's pieces in
//! [`plan`]), the way `object` and `gimli` keep their `read` and `write` modules beside flat
//! re-exports.
//!
//! # The pieces
//!
//! * **Layers.** [`LayerInspection`] is the sans-IO state machine for one layer blob: it says
//!   which single byte range to read next ([`LayerInspection::next_read`]), takes the bytes
//!   ([`LayerInspection::feed`]) and ends in an [`InspectedLayer`]: the [`LayerReport`] shared by
//!   the CLI and the browser, plus the parsed file model ([`LayerFiles`]). [`inspect_layer`] runs
//!   it with any async reader, [`inspect_layer_blocking`] with a synchronous one: the one read
//!   loop every adapter uses.
//! * **Images.** [`inspect_image`] walks manifest → (index → platform) → config → layers over any
//!   [`ImageSource`] (a registry, an OCI layout, one blob file) and checks every digest;
//!   [`inspect_image_blocking`] (native only) runs it for sources whose IO is synchronous.
//! * **Metadata formats.** [`format`](mod@format) parses the pieces of a layer from bytes, each
//!   with typed errors and caps on every claimed size: the descriptor annotations, the footer,
//!   zstd frames, the TOC ([`format::toc::parse`] → [`Toc`]), the tar-split, the eStargz footer and TOC.
//! * **Planning.** [`plan_pull`] models what the reference puller (containers/storage) fetches to
//!   pull the wanted layers into a store that holds others: which files and chunks are reused,
//!   which byte ranges are requested, and a single-range alternative. [`predict`] replays the
//!   plan against a registry's [`RegistryBehaviour`].
//! * **Registries.** [`RegistryClient`] speaks the OCI distribution protocol (content
//!   negotiation, the token dance, single-range blob reads, the range probe that finds a
//!   registry's [`BehaviourClass`]) over a [`Transport`] that sends one request: `ureq` natively
//!   (`UreqTransport`, `cli` feature), `fetch` in a browser (`FetchTransport`).
//! * **Errors.** One [`Error`] type whose [`Error::kind`] ([`ErrorKind`]) says what a caller can
//!   do about it; variants carry structured fields (status, url, offset, limit).
//!
//! Nothing in the core touches the network or `wasm-bindgen`. The browser binding (`web`: the
//! `#[wasm_bindgen]` API) only compiles for `wasm32` with the default `js-api` feature.
//!
//! # Inspecting a layer held in memory
//!
//! A layer blob and its descriptor (here the real `tiny-current` test fixture, written by
//! skopeo's zstd:chunked compressor). With annotations, the inspection reads one range: the
//! compressed TOC.
//!
//! ```
//! use chunkscope::{inspect_layer_blocking, ByteRange, InspectOptions, Manifest};
//!
//! let manifest: Manifest = serde_json::from_slice(include_bytes!(
//!     "../tests/fixtures/tiny-current/blobs/sha256/ebd7284e184f9c0042193bb2a51272d4c225bb187a5e5401f977145cc4ce9bdc"
//! ))?;
//! let blob: &[u8] = include_bytes!(
//!     "../tests/fixtures/tiny-current/blobs/sha256/9e0ca0b5125358ade0e8b1d2d461a81b104ab73f8c69f20374a1c9cb06941fe5"
//! );
//! let desc = &manifest.layers[0];
//!
//! let layer = inspect_layer_blocking(desc, InspectOptions::default(), |r: ByteRange| {
//!     Ok(blob[r.offset as usize..r.end() as usize].to_vec())
//! });
//! let report = &layer.report;
//! assert!(report.error.is_none());
//! assert_eq!((report.reads, report.bytes_read), (1, 3468)); // the TOC, nothing else
//! assert!(report.entries > 0);
//! let files = layer.files.as_ref().expect("the TOC was read");
//! assert!(files.files.iter().any(|f| f.extent().is_some()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Driving the sans-IO machine by hand
//!
//! The same inspection without a read loop provided: how an adapter with its own IO (an async
//! runtime, a cache, a `Blob` in a browser) uses it. The machine never asks for a suffix range
//! or for more than one range at a time.
//!
//! ```
//! use chunkscope::{InspectOptions, LayerInspection, Manifest};
//! # let manifest: Manifest = serde_json::from_slice(include_bytes!(
//! #     "../tests/fixtures/tiny-current/blobs/sha256/ebd7284e184f9c0042193bb2a51272d4c225bb187a5e5401f977145cc4ce9bdc"
//! # ))?;
//! # let blob: &[u8] = include_bytes!(
//! #     "../tests/fixtures/tiny-current/blobs/sha256/9e0ca0b5125358ade0e8b1d2d461a81b104ab73f8c69f20374a1c9cb06941fe5"
//! # );
//! let desc = &manifest.layers[0];
//! let opts = InspectOptions { tar_split: true, footer: true, files: false };
//! let mut inspection = LayerInspection::new(desc, opts);
//! while let Some(range) = inspection.next_read() {
//!     // One absolute range: `Range: bytes=323422-330387` here (TOC, tar-split and footer).
//!     assert_eq!(range.header_value(), "bytes=323422-330387");
//!     let bytes = &blob[range.offset as usize..range.end() as usize];
//!     if let Err(e) = inspection.feed(bytes) {
//!         // The error is also in the report; the machine reads nothing more after one.
//!         eprintln!("{} error: {e}", e.kind());
//!     }
//! }
//! let done = inspection.finish();
//! assert!(done.report.error.is_none());
//! assert!(done.tar_split_digest.is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Parsing a TOC
//!
//! The TOC JSON is parsed as containers/storage parses it (keys case-insensitive, unknown keys
//! skipped, values checked); [`LayerFiles::build`] turns it into files with explicit chunk
//! extents in the blob.
//!
//! ```
//! use chunkscope::format::toc;
//! use chunkscope::{EntryType, ErrorKind, LayerFiles};
//!
//! let json = br#"{"version":1,"entries":[
//!   {"type":"dir","name":"etc/","mode":493},
//!   {"type":"reg","name":"etc/hostname","size":6,"offset":100,"endOffset":130,
//!    "digest":"sha256:0a0b0c0d0e0f0a0b0c0d0e0f0a0b0c0d0e0f0a0b0c0d0e0f0a0b0c0d0e0f0a0b"}]}"#;
//! let parsed = toc::parse(json)?;
//! assert_eq!(parsed.entries.len(), 2);
//! assert_eq!(parsed.entries[1].kind, EntryType::Reg);
//! assert_eq!((parsed.entries[1].offset, parsed.entries[1].end_offset), (100, 130));
//!
//! let files = LayerFiles::build(parsed, 200);
//! assert_eq!(files.counts().files, 1);
//!
//! // Malformed input is a typed error, never a panic.
//! let e = toc::parse(br#"{"entries":[{"type":"reg","size":-1}]}"#).unwrap_err();
//! assert_eq!(e.kind(), ErrorKind::Format);
//! # Ok::<(), chunkscope::Error>(())
//! ```
//!
//! # Planning a pull
//!
//! What pulling `tiny-current` costs into an empty store, and on a registry whose server
//! answers every multi-range request with the whole blob.
//!
//! ```
//! use chunkscope::{
//!     inspect_layer_blocking, plan_pull, predict, BehaviourClass, ByteRange, InspectOptions,
//!     LayerInput, Manifest, PlanOptions, PredictOptions, RegistryBehaviour,
//! };
//! # let manifest: Manifest = serde_json::from_slice(include_bytes!(
//! #     "../tests/fixtures/tiny-current/blobs/sha256/ebd7284e184f9c0042193bb2a51272d4c225bb187a5e5401f977145cc4ce9bdc"
//! # ))?;
//! # let blob: &[u8] = include_bytes!(
//! #     "../tests/fixtures/tiny-current/blobs/sha256/9e0ca0b5125358ade0e8b1d2d461a81b104ab73f8c69f20374a1c9cb06941fe5"
//! # );
//! let desc = &manifest.layers[0];
//! let layer = inspect_layer_blocking(desc, InspectOptions::default(), |r: ByteRange| {
//!     Ok(blob[r.offset as usize..r.end() as usize].to_vec())
//! });
//! let (report, model) = layer.split();
//! let want = [LayerInput::new(desc, &report, &model)];
//! let mut plan = plan_pull(&want, &[], &PlanOptions::default());
//! assert_eq!(plan.totals.layers, 1);
//! assert_eq!(plan.totals.full_pull_bytes, desc.size);
//! // Nothing is stored yet: every file is missing, fetched as ranges of the blob.
//! assert_eq!(plan.totals.local_files, 0);
//! assert!(plan.totals.missing_bytes > 0);
//!
//! predict(&mut plan, &PredictOptions::new(RegistryBehaviour::new(BehaviourClass::WholeBody)));
//! assert!(plan.totals.predicted.is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Reading an image from a registry
//!
//! Natively, with the `cli` feature's blocking transport (not run here: it needs a registry).
//!
//! ```no_run
//! # #[cfg(feature = "cli")]
//! # {
//! use chunkscope::{inspect_image_blocking, Credentials, ImageRef, InspectOptions};
//! use chunkscope::{RegistryClient, UreqTransport};
//!
//! let image = ImageRef::parse("127.0.0.1:5000/tiny:latest", /* insecure: plain http */ true)?;
//! let mut client = RegistryClient::new(UreqTransport::new(), image, Credentials::default());
//! let img = inspect_image_blocking(&mut client, "tiny", None, InspectOptions::default())?;
//! println!("{} layers, {} bytes fetched", img.layers.len(), img.report.bytes_fetched);
//! # }
//! # Ok::<(), chunkscope::Error>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod error;
pub mod executor;
pub mod format;
pub mod image;
pub mod inspect;
pub mod model;
pub mod oci;
pub mod plan;
pub mod range;
pub mod registry;
pub mod request_log;
#[cfg(not(target_arch = "wasm32"))]
pub mod source;
pub mod text;

pub use error::{Error, ErrorKind, RegistryCode, Result, TimeoutStage};
pub use format::digest::Digest;
pub use format::toc::{EntryType, Toc, TocEntry};
pub use image::{inspect_image, ImageReport, ImageSource, InspectedImage};
pub use inspect::report::LayerReport;
pub use inspect::{
    inspect_layer, inspect_layer_blocking, InspectOptions, InspectedLayer, LayerInspection,
};
pub use model::LayerFiles;
pub use oci::{Descriptor, Manifest, Platform};
pub use plan::predict::{predict, PredictOptions};
pub use plan::{plan_pull, LayerInput, PlanOptions, PullPlan};
pub use range::ByteRange;
pub use registry::behaviour::{BehaviourClass, RegistryBehaviour};
#[cfg(target_arch = "wasm32")]
pub use registry::fetch::FetchTransport;
#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
pub use registry::native::UreqTransport;
pub use registry::probe::{ProbeOptions, ProbeReport};
pub use registry::{Credentials, HttpRequest, HttpResponse, ImageRef, RegistryClient, Transport};
pub use request_log::{RequestPurpose, RequestRecord};
#[cfg(not(target_arch = "wasm32"))]
pub use source::inspect_image_blocking;
#[cfg(not(target_arch = "wasm32"))]
pub use source::layout::{BlobFile, OciLayout};

/// The `#[wasm_bindgen]` JavaScript API (`inspectImage`, `planPull`, …), behind the default
/// `js-api` feature: a wasm crate that depends on chunkscope turns it off
/// (`default-features = false`) to keep these exports out of its own JS module.
#[cfg(all(target_arch = "wasm32", feature = "js-api"))]
pub mod web;
