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

fn cors_hint(req: &HttpRequest, e: impl std::fmt::Display) -> Error {
    let url = &req.url;
    if req
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    {
        // Authorization is never CORS-safelisted: the browser sent an OPTIONS preflight first,
        // without credentials, and a registry that authenticates OPTIONS (CNCF distribution with
        // auth, distribution#4458) answers it 401, so the request itself never went out.
        return Error::Io(format!(
            "{url}: the authorised request failed before any answer ({e}). It carried an Authorization header, so the browser first sent a CORS preflight (OPTIONS, without credentials) and the server did not allow it: a registry with authentication (CNCF distribution answers preflights with 401) cannot be read with credentials from another origin. Serve this inspector from the registry's own origin (same-origin requests need no preflight), or use a registry or proxy that answers OPTIONS with 2xx and Access-Control-Allow-Headers: Authorization, and pass a token"
        ));
    }
    Error::Io(format!(
        "{url}: the request failed before any answer ({e}). Either the registry is unreachable, or it does not allow this page: it must send Access-Control-Allow-Origin (e.g. *), allow the request headers Accept, Range and Authorization, and expose Content-Range, Docker-Content-Digest and WWW-Authenticate"
    ))
}

impl Transport for FetchTransport {
    async fn send(&mut self, req: &HttpRequest) -> Result<HttpResponse> {
        let controller = AbortController::new().map_err(|e| Error::Io(format!("{e:?}")))?;
        let mut b = Request::get(&req.url)
            .mode(RequestMode::Cors)
            .cache(RequestCache::NoStore)
            .abort_signal(Some(&controller.signal()));
        for (k, v) in &req.headers {
            b = b.header(k, v);
        }
        let resp = b.send().await.map_err(|e| cors_hint(req, e))?;
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
                .map_err(|e| Error::Io(format!("{}: reading the body: {e:?}", req.url)))?;
            if Reflect::get(&chunk, &JsValue::from_str("done"))
                .ok()
                .and_then(|d| d.as_bool())
                .unwrap_or(true)
            {
                break;
            }
            let value: Uint8Array = Reflect::get(&chunk, &JsValue::from_str("value"))
                .map_err(|e| Error::Io(format!("{e:?}")))?
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
