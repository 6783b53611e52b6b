//! Raw TCP clients for tests: exact bytes out, exact bytes back.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a helper waits for the server before giving up (a failing test, not a hang).
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Connect, send `bytes`, half-close, and read everything until the server closes.
///
/// # Errors
/// Connection and I/O errors, or a timeout after [`IO_TIMEOUT`].
pub async fn send_and_close(addr: SocketAddr, bytes: &[u8]) -> std::io::Result<String> {
    let io = async {
        let mut s = TcpStream::connect(addr).await?;
        s.write_all(bytes).await?;
        s.shutdown().await?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).await?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    };
    tokio::time::timeout(IO_TIMEOUT, io)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "server did not answer"))?
}

/// Read from `s` until the bytes read end with `terminator` (or time out).
///
/// # Errors
/// I/O errors, end of stream before the terminator, or a timeout after [`IO_TIMEOUT`].
pub async fn read_until(s: &mut TcpStream, terminator: &[u8]) -> std::io::Result<String> {
    let io = async {
        let mut out = Vec::new();
        let mut byte = [0u8; 4096];
        while !out.ends_with(terminator) {
            let n = s.read(&mut byte).await?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("closed after {:?}", String::from_utf8_lossy(&out)),
                ));
            }
            out.extend_from_slice(&byte[..n]);
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    };
    tokio::time::timeout(IO_TIMEOUT, io)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no terminator in time"))?
}
