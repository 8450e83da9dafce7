//! The browser transport: `fetch` (through gloo-net) with an `AbortController` per request.
//!
//! Only single `bytes=N-M` ranges go out (CORS-safelisted: no preflight for an anonymous
//! registry). The head of every ranged answer is judged before the body is touched; a 200 means
//! the server ignored Range, so the request is aborted and not one body byte is read. Bodies are
//! read chunk by chunk from the stream and counted, and cut off at the request's limit.

use crate::error::{Error, Result};
use crate::registry::ranges::{judge, RangeVerdict};
use crate::registry::{HttpRequest, HttpResponse, Transport};
use gloo_net::http::Request;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, RequestCache, RequestMode};

#[derive(Default)]
pub struct FetchTransport;

/// Why a `fetch` rejected before any answer. The browser does not say (a `TypeError` either
/// way), so a look at the origin's `/v2/` tells them apart: first as a simple CORS request (no
/// preflight; it resolves when the registry sends CORS headers, so a refused preflight of an
/// authorised request was the cause), then as an opaque `no-cors` request, which resolves when
/// the server answers at all. Either answer means the origin is reachable and CORS stopped us;
/// both failing means nothing is there. No body is read, so no byte is counted.
///
/// A cross-origin isolated page (`Cross-Origin-Embedder-Policy: require-corp`, e.g. a test
/// runner's) refuses every opaque answer without a `Cross-Origin-Resource-Policy` header: there, a
/// registry that sends no CORS headers at all cannot be told from an unreachable one and reads as
/// `network`.
async fn failure_kind(req: &HttpRequest, e: impl std::fmt::Display) -> Error {
    let preflight = req
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
    let network = || Error::Network {
        url: req.url.clone(),
        detail: format!("the request failed before any answer ({e})"),
    };
    let Some(origin) = crate::registry::reference::origin_of(&req.url) else {
        return network();
    };
    let v2 = format!("{origin}/v2/");
    let answers = |mode| {
        Request::get(&v2)
            .mode(mode)
            .cache(RequestCache::NoStore)
            .send()
    };
    let reachable =
        answers(RequestMode::Cors).await.is_ok() || answers(RequestMode::NoCors).await.is_ok();
    if reachable {
        Error::Cors {
            url: req.url.clone(),
            preflight,
        }
    } else {
        network()
    }
}

impl Transport for FetchTransport {
    async fn send(&mut self, req: &HttpRequest) -> Result<HttpResponse> {
        let controller = AbortController::new()
            .map_err(|e| Error::Internal(format!("AbortController: {e:?}")))?;
        let mut b = Request::get(&req.url)
            .mode(RequestMode::Cors)
            .cache(RequestCache::NoStore)
            .abort_signal(Some(&controller.signal()));
        for (k, v) in &req.headers {
            b = b.header(k, v);
        }
        let resp = match b.send().await {
            Ok(r) => r,
            Err(e) => return Err(failure_kind(req, e).await),
        };
        let status = resp.status();
        let headers = resp
            .headers()
            .entries()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        let mut out = HttpResponse {
            status,
            headers,
            body: Vec::new(),
            final_url: resp.url(),
            aborted: false,
        };
        let must_cancel = match req.range {
            Some(range) => {
                let len = out.header("content-length").and_then(|v| v.parse().ok());
                judge(&req.url, range, status, out.header("content-range"), len)
                    .inspect_err(|_| controller.abort())?
                    == RangeVerdict::Ignored
            }
            None => req.multi_range.is_some() && status == 200,
        };
        if must_cancel {
            controller.abort();
            out.aborted = true;
            return Ok(out);
        }
        let Some(stream) = resp.body() else {
            return Ok(out);
        };
        let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
        loop {
            let chunk = JsFuture::from(reader.read())
                .await
                .map_err(|e| Error::Network {
                    url: req.url.clone(),
                    detail: format!("reading the body: {e:?}"),
                })?;
            if Reflect::get(&chunk, &JsValue::from_str("done"))
                .ok()
                .and_then(|d| d.as_bool())
                .unwrap_or(true)
            {
                break;
            }
            let value: Uint8Array = Reflect::get(&chunk, &JsValue::from_str("value"))
                .map_err(|e| Error::Internal(format!("stream chunk without a value: {e:?}")))?
                .unchecked_into();
            let room = req.limit.saturating_sub(out.body.len() as u64);
            let n = value.length() as u64;
            if n > room {
                out.body.extend(value.subarray(0, room as u32).to_vec());
                out.aborted = true;
                let _ = reader.cancel();
                controller.abort();
                break;
            }
            out.body.extend(value.to_vec());
        }
        Ok(out)
    }
}
