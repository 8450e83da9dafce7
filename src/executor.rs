//! The smallest executor that can run the crate's async flows over synchronous IO.
//!
//! The image and layer flows (`image`, `inspect::inspect_layer`) are written once, as `async` code
//! generic over their reader, so that the browser can run them truly asynchronously over
//! `fetch`. Native readers (files, the blocking HTTP client) never return `Pending`: they finish
//! each read before returning. [`block_on`] therefore polls a future exactly once. A `Pending`
//! means a reader that is really asynchronous was handed to a synchronous caller, a bug that
//! spinning would turn into a hang, so it panics with a message that says so.

use std::future::Future;
use std::task::{Context, Poll, Waker};

/// Runs a future whose IO is synchronous to completion.
///
/// ```
/// assert_eq!(chunkscope::executor::block_on(async { 6 * 7 }), 42);
/// ```
///
/// # Panics
/// If the future returns `Pending` (its IO is not synchronous).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!(
            "block_on: the future is waiting for IO; block_on only runs futures over synchronous readers (use an async executor for asynchronous ones)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::block_on;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    struct NeverReady;
    impl Future for NeverReady {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            Poll::Pending
        }
    }

    #[test]
    #[should_panic(expected = "waiting for IO")]
    fn a_pending_future_fails_loudly_instead_of_spinning() {
        block_on(NeverReady);
    }

    #[test]
    fn nested_ready_futures_complete_in_one_poll() {
        let v = block_on(async { async { 1 }.await + async { 2 }.await });
        assert_eq!(v, 3);
    }
}
