//! The gate's HTTP/1.1, all of it hyper's: how a connection is served (the head's size and time
//! limits, one request a connection), the answers' bodies, and the one check on a request that
//! hyper leaves to the server. hyper parses the request head (with httparse) and decodes its
//! body, length-delimited or chunked; a head it cannot parse it answers itself, 400 (431 when
//! too large), and closes the connection.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Bytes, Frame, Incoming, SizeHint};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// The longest request head (request line and headers) the gate reads; a longer one is answered
/// 431. The same bounds a chunked body's trailers.
const MAX_HEAD: usize = 64 * 1024;

/// How long a client may take to send its request head before the connection is closed: a
/// client that trickles a head in, or sends none, holds nothing for long.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// An answer to the agent.
pub type Answer = Response<Body>;

/// Serves the one request of `stream` with `handle`, then closes the connection.
pub async fn serve<F, Fut>(stream: TcpStream, handle: F) -> Result<(), hyper::Error>
where
    F: Fn(Request<Incoming>) -> Fut,
    Fut: Future<Output = Answer>,
{
    let service = service_fn(move |request| {
        let answer = handle(request);
        async move { Ok::<_, Infallible>(answer.await) }
    });
    hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_header_size(MAX_HEAD)
        // One request a connection, as git's smart HTTP needs no more: no request can follow
        // another's body on the same connection, whatever a client says its length is.
        .keep_alive(false)
        // A client that shuts its side down once it has sent its request still gets the answer
        // (and one whose body falls short of its length gets a 400).
        .half_close(true)
        .serve_connection(TokioIo::new(stream), service)
        .await
}

/// Whether a request target is in origin form (`/path?query`), the only form a client sends an
/// origin server for git (absolute form is for proxies, authority form for `CONNECT`, `*` for
/// a server-wide `OPTIONS`).
pub fn origin_form(uri: &Uri) -> bool {
    uri.scheme().is_none() && uri.authority().is_none() && uri.path().starts_with('/')
}

/// A whole answer with a small body.
pub fn answer(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Answer {
    let mut answer = Response::new(Body::Whole(Some(body.into())));
    *answer.status_mut() = status;
    let headers = answer.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    answer
}

/// A plain-text answer.
pub fn text(status: StatusCode, text: impl Into<String>) -> Answer {
    answer(status, "text/plain", text.into())
}

/// An answer's body: a few bytes, or another program's output relayed as it comes. A relay
/// that fails sends an error, and hyper then ends the connection without ending the body, so
/// that the client sees the answer was cut short.
pub enum Body {
    Whole(Option<Bytes>),
    Relayed(mpsc::Receiver<io::Result<Bytes>>),
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            Body::Whole(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Body::Relayed(chunks) => chunks
                .poll_recv(cx)
                .map(|chunk| chunk.map(|c| c.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Body::Whole(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Whole(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            Body::Relayed(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_origin_form_targets_are_served() {
        for target in ["/app/info/refs?service=git-upload-pack", "/health", "/"] {
            assert!(origin_form(&target.parse().unwrap()), "{target}");
        }
        for target in ["http://gate/app/info/refs", "gate:8418", "*"] {
            let uri: Uri = target.parse().unwrap();
            assert!(!origin_form(&uri), "{target}");
        }
    }
}
