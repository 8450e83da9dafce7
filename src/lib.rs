//! chunkscope: see inside zstd:chunked container image layers.
//!
//! The crate is a sans-IO core with thin adapters at its edges:
//!
//! * [`format`] parses the pieces of a layer blob and its descriptor (annotations, footer, zstd
//!   frames, TOC, tar-split) from bytes, with typed errors and caps on every claimed size;
//! * [`model`] turns a TOC into files with explicit chunk extents in the blob;
//! * [`inspect`] is the state machine that decides which single byte range to read next and
//!   produces the report shared by the CLI and the browser;
//! * [`image`] walks manifest → (index → platform) → config → layers, over any async source;
//! * [`plan`] models what a partial pull costs (the reference puller, and a single-range plan);
//! * [`registry`] speaks the OCI distribution protocol (auth, single-range blobs, the range
//!   probe) over a `Transport` trait, with a native `ureq` transport behind the `cli` feature;
//! * [`oci`] holds the few OCI image-spec types we read; [`error`] the one error type;
//! * [`source`] (native only) reads OCI layout directories and single blob files.
//!
//! Nothing in the core touches the network or `wasm-bindgen`; the browser binding (`web`: the
//! `#[wasm_bindgen]` API and the `fetch` transport) only compiles for `wasm32`.

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

pub use error::{Error, ErrorKind, RegistryCode, Result};
pub use range::ByteRange;
/// The `#[wasm_bindgen]` JavaScript API (`inspectImage`, `planPull`, …), behind the default
/// `js-api` feature: a wasm crate that depends on chunkscope turns it off
/// (`default-features = false`) to keep these exports out of its own JS module.
#[cfg(all(target_arch = "wasm32", feature = "js-api"))]
pub mod web;
