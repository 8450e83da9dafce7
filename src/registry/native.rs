//! The native transport: a blocking `ureq` agent behind the async [`Transport`] trait.

use super::ranges::{judge, RangeVerdict};
use super::{HttpRequest, HttpResponse, Transport};
use crate::error::{Error, Result};
use std::io::Read;

pub struct UreqTransport {
    agent: ureq::Agent,
}

impl UreqTransport {
    pub fn new() -> Self {
        UreqTransport {
            agent: ureq::AgentBuilder::new()
                .redirects(5)
                .timeout(std::time::Duration::from_secs(60))
                .build(),
        }
    }
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl Transport for UreqTransport {
    async fn send(&mut self, req: &HttpRequest) -> Result<HttpResponse> {
        let mut r = self.agent.get(&req.url);
        for (k, v) in &req.headers {
            r = r.set(k, v);
        }
        let resp = match r.call() {
            Ok(resp) => resp,
            Err(ureq::Error::Status(_, resp)) => resp,
            Err(e) => {
                return Err(Error::Network {
                    url: req.url.clone(),
                    detail: e.to_string(),
                })
            }
        };
        let status = resp.status();
        let headers = resp
            .headers_names()
            .into_iter()
            .filter_map(|n| {
                resp.header(&n)
                    .map(|v| (n.to_ascii_lowercase(), v.to_string()))
            })
            .collect();
        let mut out = HttpResponse {
            status,
            headers,
            body: Vec::new(),
            final_url: resp.get_url().to_string(),
            aborted: false,
        };
        if let Some(range) = req.range {
            let len = out.header("content-length").and_then(|v| v.parse().ok());
            if judge(&req.url, range, status, out.header("content-range"), len)?
                == RangeVerdict::Ignored
            {
                out.aborted = true; // dropping the reader closes the connection unread
                return Ok(out);
            }
        }
        if req.multi_range.is_some() && status == 200 {
            out.aborted = true;
            return Ok(out);
        }
        let mut reader = resp.into_reader().take(req.limit + 1);
        reader
            .read_to_end(&mut out.body)
            .map_err(|e| Error::Network {
                url: req.url.clone(),
                detail: format!("reading the body: {e}"),
            })?;
        if out.body.len() as u64 > req.limit {
            out.body.truncate(req.limit as usize);
            out.aborted = true;
        }
        Ok(out)
    }
}
