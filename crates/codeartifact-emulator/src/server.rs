//! The HTTP/1.1 accept loop.
//!
//! The emulator drives hyper itself instead of `axum::serve` for two things:
//! a response marked [`ResetConnection`] turns into a dropped connection
//! with `SO_LINGER` 0 (a TCP reset, no response bytes), and shutdown is
//! graceful with a bounded wait.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower_service::Service as _;

use crate::state::ResetConnection;

/// How long shutdown waits for requests in progress before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Serves `router` on `listener` until `shutdown` completes, then lets
/// requests in progress finish (at most [`SHUTDOWN_GRACE`]).
pub(crate) async fn run(
    router: Router,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(accept(router.clone(), stream, tls.clone(), stop_rx.clone()));
                }
                Err(e) => {
                    // E.g. out of file descriptors: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        tracing::warn!("requests still in progress at shutdown were dropped");
        connections.shutdown().await;
    }
    Ok(())
}

/// The service error that makes hyper drop a connection without answering.
#[derive(Debug)]
struct ResetRequested;

impl std::fmt::Display for ResetRequested {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by an injected fault")
    }
}

impl std::error::Error for ResetRequested {}

/// Serves one accepted connection, after a TLS handshake when `tls` is set
/// (a failed handshake, e.g. a client that does not trust the CA, just
/// ends the connection).
async fn accept(
    router: Router,
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let reset = Arc::new(AtomicBool::new(false));
    let stream = ResettableStream {
        stream,
        reset: Arc::clone(&reset),
    };
    match tls {
        None => serve_connection(router, stream, reset, stop).await,
        Some(acceptor) => match acceptor.accept(stream).await {
            Ok(stream) => serve_connection(router, stream, reset, stop).await,
            Err(e) => tracing::debug!(error = %e, "TLS handshake failed"),
        },
    }
}

async fn serve_connection<S>(
    router: Router,
    stream: S,
    reset: Arc<AtomicBool>,
    mut stop: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(stream);
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let mut router = router.clone();
        let reset = Arc::clone(&reset);
        async move {
            let response = match router.call(request.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<ResetConnection>().is_some() {
                reset.store(true, Ordering::SeqCst);
                return Err(ResetRequested);
            }
            Ok::<_, ResetRequested>(response)
        }
    });
    let connection = http1::Builder::new().serve_connection(io, service);
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = async {
            // Any answer (stop, or the loop gone) means stop; `Ref` is not `Send`.
            let _ = stop.wait_for(|stopped| *stopped).await;
        } => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// A TCP stream that, once `reset` is set, closes with a reset (`SO_LINGER` 0)
/// instead of an orderly FIN.
struct ResettableStream {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
