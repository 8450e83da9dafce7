//! What a registry's refusal of a multi-range request carries: a registry JSON error (podman
//! retries a pull that fails on it) or anything else (it does not). The planner's prediction
//! (`plan::predict`) needs it for `rejected` and `range-cap` registries with a 4xx refusal.

use super::behaviour::{error_body_of, ErrorBody};
use super::RequestPurpose;
use super::{RegistryClient, Transport};
use crate::error::Result;

/// Bytes of the refusal's body read (registry JSON errors are short).
const REFUSAL_READ: u64 = 4 << 10;

impl<T: Transport> RegistryClient<T> {
    /// Sends one request of `ranges` one-byte ranges (at even offsets, so none merge) for the
    /// blob and, when it is refused with an error status, says what the body is. `None` when the
    /// request is not refused. Reads at most 4 KiB.
    pub async fn refusal_body(
        &mut self,
        digest: &str,
        ranges: u32,
    ) -> Result<Option<(u16, ErrorBody)>> {
        let url = self.image.blob_url(digest);
        let n = ranges.clamp(2, 1024);
        let header = super::probe::ladder_range(n);
        let resp = self
            .get(
                &url,
                None,
                None,
                Some(header),
                REFUSAL_READ,
                RequestPurpose::Probe,
            )
            .await?;
        Ok((resp.status >= 400).then(|| (resp.status, error_body_of(&resp.body))))
    }
}
