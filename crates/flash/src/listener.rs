//! [`bind`]: a listening socket with a chosen accept backlog.
//!
//! `std::net::TcpListener::bind` asks for a backlog of 128. With 1,000 clients
//! connecting at once, connections past the backlog are dropped by the kernel and retried
//! by the client after a second or more, which would measure the backlog, not the model.
//! nginx asks for 511; flash asks for [`BACKLOG`] (the kernel caps it at somaxconn).

use std::io;
use std::net::{SocketAddr, TcpListener};

use nix::sys::socket::{
    bind as bind_socket, listen, setsockopt, socket, sockopt, AddressFamily, Backlog, SockFlag,
    SockType, SockaddrStorage,
};

/// The accept backlog flash asks for.
pub const BACKLOG: i32 = 4096;

/// Bind `addr` with SO_REUSEADDR and listen with `backlog`.
///
/// # Errors
/// The socket could not be created, bound (address in use, no permission) or listened on.
pub fn bind(addr: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    let family = if addr.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    let fd = socket(family, SockType::Stream, SockFlag::SOCK_CLOEXEC, None)?;
    setsockopt(&fd, sockopt::ReuseAddr, &true)?;
    bind_socket(
        std::os::fd::AsRawFd::as_raw_fd(&fd),
        &SockaddrStorage::from(addr),
    )?;
    let backlog = Backlog::new(backlog).unwrap_or(Backlog::MAXCONN);
    listen(&fd, backlog)?;
    Ok(TcpListener::from(fd))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bound listener accepts, on an OS-chosen port.
    #[test]
    fn binds_and_accepts() {
        let l = bind("127.0.0.1:0".parse().unwrap(), BACKLOG).unwrap();
        let addr = l.local_addr().unwrap();
        assert_ne!(addr.port(), 0);
        let _c = std::net::TcpStream::connect(addr).unwrap();
        assert!(l.accept().is_ok());
    }
}
