//! Would the reference puller pull a layer partially? One set of rules, used by the inspection
//! report (`partialPull`) and by the planner (`fallback`), so the two can never disagree.
//!
//! The rules are containers/storage's (`NewDiffer`, `makeZstdChunkedDiffer`) as in podman 5.4:
//! first what the descriptor says (annotations, TOC size), then what the TOC says (is the
//! tar-split authenticated, so that the DiffID can be proven?).

use super::MAX_TOC;
use crate::format::annotations::{ChunkedAnnotations, LayerAnnotations, Namespace};
use crate::oci::Descriptor;

/// The rules that need only the descriptor. `Ok` with its annotations when the reference reads
/// the layer's metadata; `Err(reason)` when it pulls the layer whole without reading any.
pub fn by_descriptor(desc: &Descriptor) -> Result<ChunkedAnnotations, String> {
    let a = match LayerAnnotations::parse(&desc.annotations) {
        Ok(LayerAnnotations::ZstdChunked(a)) => a,
        Ok(LayerAnnotations::Estargz { .. }) => {
            return Err("eStargz layer: the reference puller refuses it unless insecure mode is on (no tar-split, DiffID not provable), and pulls it whole".into())
        }
        Ok(LayerAnnotations::None) => {
            let mt = if desc.media_type.is_empty() { "no media type" } else { &desc.media_type };
            return Err(format!("no zstd:chunked TOC annotation ({mt}): the reference puller finds no TOC and pulls the layer whole"));
        }
        Err(e) => return Err(format!("unusable zstd:chunked annotations ({e}): the reference puller fails on this layer; a full pull is the best case")),
    };
    if a.namespace == Namespace::Legacy {
        return Err("legacy io.containers.zstd-chunked.* annotations: current pullers do not recognise them (\"no TOC found\") and pull the layer whole".into());
    }
    for (what, n) in [
        ("compressed", a.toc.length),
        ("uncompressed", a.toc.uncompressed_length),
    ] {
        if n > MAX_TOC {
            return Err(format!("TOC of {n} bytes ({what}) is over the reference puller's 150 MiB limit: the layer is pulled whole"));
        }
    }
    Ok(a)
}

/// The rules that need the TOC, for a layer that passed [`by_descriptor`].
pub fn by_toc(a: &ChunkedAnnotations, tar_split_digest: bool) -> Result<(), String> {
    if !tar_split_digest {
        return Err("no tarSplitDigest in the TOC (written before containers/storage 1.54): the DiffID cannot be proven, so after reading the metadata the reference puller pulls the layer whole (unless insecure mode is on)".into());
    }
    if a.tar_split.is_none() {
        return Err("the TOC names a tar-split but there is no tarsplit-position annotation: the reference puller fails on this layer; a full pull is the best case".into());
    }
    Ok(())
}
