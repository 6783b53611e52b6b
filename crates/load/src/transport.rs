//! Connections: [`Stream`] (plain TCP or TLS over it) and [`connect`], which spreads
//! loopback connections over source addresses and does the TLS handshake.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::stats::ErrorKind;
use crate::tls::Tls;

/// One connection to the target.
#[derive(Debug)]
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Connect connection number `conn` to `addr`, with TLS when `tls` is given.
///
/// # Errors
/// [`ErrorKind::Connect`] if TCP fails, [`ErrorKind::Tls`] if the handshake does.
pub(crate) async fn connect(
    addr: SocketAddr,
    conn: usize,
    tls: Option<&Tls>,
) -> Result<Stream, ErrorKind> {
    let tcp = tcp(addr, conn).await.map_err(|_| ErrorKind::Connect)?;
    let _ = tcp.set_nodelay(true);
    match tls {
        None => Ok(Stream::Plain(tcp)),
        Some(t) => tokio_rustls::TlsConnector::from(t.config.clone())
            .connect(t.server_name.clone(), tcp)
            .await
            .map(|s| Stream::Tls(Box::new(s)))
            .map_err(|_| ErrorKind::Tls),
    }
}

/// TCP connect, spreading loopback connections over source addresses 127.0.0.1-32.
///
/// A client that closes first (as herd clients do, by half-closing) leaves its side of
/// every connection in TIME_WAIT; from one source address the 28k ephemeral ports fill up
/// within seconds and each connect then pays for a long port search. Real clients come
/// from many addresses; so does the load on loopback, where all of 127/8 is ours.
async fn tcp(addr: SocketAddr, conn: usize) -> io::Result<TcpStream> {
    match addr {
        SocketAddr::V4(v4) if v4.ip().is_loopback() => {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.set_reuseaddr(true)?;
            let source = Ipv4Addr::new(127, 0, 0, 1 + (conn % 32) as u8);
            socket.bind((source, 0).into())?;
            socket.connect(addr).await
        }
        _ => TcpStream::connect(addr).await,
    }
}
