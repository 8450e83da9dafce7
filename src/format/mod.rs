//! The zstd:chunked format: pure parsers and checks over bytes, no IO.
//!
//! Each module reads one structure of a layer blob or its descriptor and returns typed values or
//! a typed [`Error`](crate::Error). Nothing here knows where the bytes came from.

pub mod annotations;
pub mod digest;
pub mod estargz;
pub mod footer;
pub mod gofmt;
pub mod layer_format;
pub mod pax;
pub mod sniff;
pub mod tar_header;
pub mod tarsplit;
pub mod time;
pub mod toc;
pub mod zstd;
