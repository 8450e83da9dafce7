//! The browser transport: `fetch` (through gloo-net) with an `AbortController` per request.
//!
//! Only single `bytes=N-M` ranges go out (CORS-safelisted: no preflight for an anonymous
//! registry). The head of every ranged answer is judged before the body is touched; a 200 means
//! the server ignored Range, so the request is aborted and not one body byte is read. Bodies are
//! read chunk by chunk from the stream and counted, and cut off at the request's limit.

use crate::error::{Error, Result, TimeoutStage};
use crate::registry::ranges::{judge, RangeVerdict};
use crate::registry::{HttpRequest, HttpResponse, Transport};
use gloo_net::http::Request;
use js_sys::{Reflect, Uint8Array};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, RequestCache, RequestMode};

/// The browser transport. `stall_ms` bounds each wait (for the answer's headers, and for each
/// chunk of the body): when it runs out the request is aborted and fails with
/// [`Error::Timeout`].
pub struct FetchTransport {
    /// The stall limit in milliseconds.
    pub stall_ms: u32,
    /// Called with the length of each body chunk as it arrives (progress within a long body,
    /// e.g. a 28 MB TOC); `None` for no such calls.
    pub on_body: Option<Box<dyn FnMut(u64)>>,
}

/// The default stall limit (30 s), as the native transport's.
pub const DEFAULT_STALL_MS: u32 = 30_000;

impl Default for FetchTransport {
    fn default() -> Self {
        FetchTransport {
            stall_ms: DEFAULT_STALL_MS,
            on_body: None,
        }
    }
}

impl FetchTransport {
    /// A transport with a stall limit in milliseconds (at least 1).
    pub fn with_stall_limit(stall_ms: u32) -> Self {
        FetchTransport {
            stall_ms: stall_ms.max(1),
            on_body: None,
        }
    }

    fn timeout(&self, url: &str, stage: TimeoutStage) -> Error {
        Error::Timeout {
            url: url.to_string(),
            stage,
            seconds: u64::from(self.stall_ms.div_ceil(1000)),
        }
    }
}

/// A `setTimeout` that aborts the request when it fires (the server stalled) and records that
/// it did; cleared when dropped. Uses the global scope's timer, so it works in a page and in a
/// worker alike.
struct StallTimer {
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl StallTimer {
    fn start(controller: &AbortController, ms: u32, fired: &Rc<Cell<bool>>) -> Option<StallTimer> {
        let (c, f) = (controller.clone(), fired.clone());
        let callback = Closure::<dyn FnMut()>::new(move || {
            f.set(true);
            c.abort();
        });
        let global = js_sys::global();
        let set: js_sys::Function = Reflect::get(&global, &JsValue::from_str("setTimeout"))
            .ok()?
            .dyn_into()
            .ok()?;
        let id = set
            .call2(&global, callback.as_ref(), &JsValue::from(ms))
            .ok()?;
        Some(StallTimer {
            id,
            _callback: callback,
        })
    }
}

impl Drop for StallTimer {
    fn drop(&mut self) {
        let global = js_sys::global();
        if let Ok(clear) = Reflect::get(&global, &JsValue::from_str("clearTimeout")) {
            if let Ok(clear) = clear.dyn_into::<js_sys::Function>() {
                let _ = clear.call1(&global, &self.id);
            }
        }
    }
}

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
async fn failure_kind(req: &HttpRequest, e: impl std::fmt::Display, stall_ms: u32) -> Error {
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
    // Each look bounded by the stall limit too: a /v2/ that stalls counts as no answer.
    let answers = |mode| {
        let v2 = v2.clone();
        async move {
            let Ok(c) = AbortController::new() else {
                return false;
            };
            let fired = Rc::new(Cell::new(false));
            let _timer = StallTimer::start(&c, stall_ms, &fired);
            Request::get(&v2)
                .mode(mode)
                .cache(RequestCache::NoStore)
                .abort_signal(Some(&c.signal()))
                .send()
                .await
                .is_ok()
        }
    };
    let reachable = answers(RequestMode::Cors).await || answers(RequestMode::NoCors).await;
    if reachable {
        Error::Cors {
            url: req.url.clone(),
            preflight,
        }
    } else {
        network()
    }
}

/// The most a ranged body reserves before its bytes arrive (see `send`); a longer one grows.
const RESERVE_BODY: u64 = 32 << 20;

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
        let stalled = Rc::new(Cell::new(false));
        let timer = StallTimer::start(&controller, self.stall_ms, &stalled);
        let sent = b.send().await;
        drop(timer);
        let resp = match sent {
            Ok(r) => r,
            Err(_) if stalled.get() => return Err(self.timeout(&req.url, TimeoutStage::Headers)),
            Err(e) => return Err(failure_kind(req, e, self.stall_ms).await),
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
        // A range's body is reserved once, at the length asked for (and announced), so that it
        // is not copied while it doubles (wasm memory never shrinks: the 510k layer's 4.2 MB
        // TOC read cost 3-7 MB of peak memory that way); at most RESERVE_BODY, so that a
        // descriptor claiming a huge TOC cannot make the page take memory the server never
        // sends. Each chunk is copied straight into it.
        if let Some(range) = req.range {
            let announced = out.header("content-length").and_then(|v| v.parse().ok());
            let want = range
                .length
                .min(req.limit)
                .min(announced.unwrap_or(u64::MAX))
                .min(RESERVE_BODY);
            let _ = out
                .body
                .try_reserve_exact(usize::try_from(want).unwrap_or(0));
        }
        loop {
            let timer = StallTimer::start(&controller, self.stall_ms, &stalled);
            let read = JsFuture::from(reader.read()).await;
            drop(timer);
            let chunk = match read {
                Ok(c) => c,
                Err(_) if stalled.get() => return Err(self.timeout(&req.url, TimeoutStage::Body)),
                Err(e) => {
                    return Err(Error::Network {
                        url: req.url.clone(),
                        detail: format!(
                            "the body broke off: {}",
                            e.as_string()
                                .or_else(|| js_sys::JSON::stringify(&e).ok().map(String::from))
                                .unwrap_or_else(|| "no detail".into())
                        ),
                    })
                }
            };
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
            if let Some(f) = &mut self.on_body {
                f(n.min(room));
            }
            let take = n.min(room) as u32;
            let at = out.body.len();
            out.body.resize(at + take as usize, 0);
            value.subarray(0, take).copy_to(&mut out.body[at..]);
            if n > room {
                out.aborted = true;
                let _ = reader.cancel();
                controller.abort();
                break;
            }
        }
        Ok(out)
    }
}
