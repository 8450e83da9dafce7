//! Native adapters: where blobs come from when chunkscope runs outside a browser.
//!
//! Local sources: OCI layout directories and single blob files (registries are in
//! [`crate::registry`], whose native transport lives in `registry::native`). All implement
//! [`ImageSource`], so the one image flow in [`crate::image`] serves them;
//! [`inspect_image_blocking`] runs it to completion synchronously.

pub mod layout;

use crate::error::Result;
use crate::inspect::InspectOptions;
use crate::oci::Platform;

pub use crate::image::{ImageSource, InspectedImage};

/// [`crate::image::inspect_image`] for sources whose IO is synchronous (an [`layout::OciLayout`],
/// a [`layout::BlobFile`], a registry client over the native transport), run to completion on
/// the calling thread.
///
/// # Errors
/// As [`crate::image::inspect_image`]: a manifest, index or config that cannot be read, parsed or
/// verified. A layer's own errors go into its report.
///
/// # Panics
/// If the source's IO is truly asynchronous (see [`crate::executor::block_on`]).
pub fn inspect_image_blocking<S: ImageSource + ?Sized>(
    src: &mut S,
    name: &str,
    platform: Option<&Platform>,
    opts: InspectOptions,
) -> Result<InspectedImage> {
    crate::executor::block_on(crate::image::inspect_image(src, name, platform, opts))
}
