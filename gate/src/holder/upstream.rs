//! The key holder's way to the real hosts: a new connection for each request, to the host the
//! agent's TLS connection named (never one its Host header chose), by the system's resolver or
//! the config's `resolve`, over TLS verified against the configured roots only, HTTP/1.1.
//! Nothing is sent before the real host is verified, so a host that fails verification never
//! sees the credential.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// How long reaching and verifying a real host may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The port of the real hosts.
const HTTPS_PORT: u16 = 443;

/// Where the real hosts are, and what verifies them.
pub struct Upstreams {
    connector: TlsConnector,
    resolve: BTreeMap<String, SocketAddr>,
}

/// A verified connection to a real host, ready for one request.
pub struct Connection<B> {
    sender: SendRequest<B>,
}

impl Upstreams {
    pub fn new(config: rustls::ClientConfig, resolve: BTreeMap<String, SocketAddr>) -> Self {
        Upstreams {
            connector: TlsConnector::from(Arc::new(config)),
            resolve,
        }
    }

    /// Connects to `host` and verifies it. The error names no secret.
    pub async fn connect<B>(&self, host: &str) -> Result<Connection<B>, String>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        tokio::time::timeout(CONNECT_TIMEOUT, self.connect_now(host))
            .await
            .map_err(|_| format!("reaching {host} took longer than {CONNECT_TIMEOUT:?}"))?
    }

    async fn connect_now<B>(&self, host: &str) -> Result<Connection<B>, String>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let tcp = match self.resolve.get(host) {
            Some(addr) => TcpStream::connect(addr).await,
            None => TcpStream::connect((host, HTTPS_PORT)).await,
        }
        .map_err(|e| format!("connecting to {host}: {e}"))?;
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| format!("{host} is not a server name: {e}"))?;
        let tls = self
            .connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("verifying {host}: {e}"))?;
        let (sender, connection) = http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| format!("speaking HTTP/1.1 to {host}: {e}"))?;
        // The connection runs until its one answer has been read, then ends with the sender.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Connection { sender })
    }
}

impl<B> Connection<B>
where
    B: Body + Send + 'static,
{
    /// Sends `request` and returns the answer's head; its body comes as the host sends it.
    pub async fn send(mut self, request: Request<B>) -> Result<Response<Incoming>, String> {
        self.sender
            .send_request(request)
            .await
            .map_err(|e| format!("the real host did not answer: {e}"))
    }
}

/// The agent's request body as it is sent on: its data only. Trailers (headers after a chunked
/// body) are dropped, as no check reads them and a credential could ride in one.
pub struct DataOnly(pub Incoming);

impl Body for DataOnly {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        loop {
            match Pin::new(&mut self.0).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) if !frame.is_data() => {}
                other => return other,
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}
