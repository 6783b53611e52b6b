//! Peer links: the handshake and the dialer. The linked session is in `session`.
//!
//! Of two linked servers the one whose name sorts first dials; the other accepts on its
//! ordinary port, where a first line `HERD-HELLO` marks a peer. The handshake is a mutual
//! challenge-response over the herd secret (HMAC-SHA256 over both names and both nonces),
//! so a client that has not the secret can never inject updates. See docs/protocol.md.
//!
//! The dialer reconnects with capped, jittered exponential backoff. The backoff starts
//! over only after a session that stayed up for a while ([`STABLE`]); a link that drops
//! right after every handshake (a peer that rejects what it is sent) therefore backs off
//! instead of spinning.

use std::sync::Arc;
use std::time::{Duration, Instant};

use herd_proto::{
    error_reply, new_nonce, parse_peer_frame, proof, verify_proof, PeerFrame, Role, MAX_PEER_LINE,
};
use netkit::Timed;
use tokio::net::TcpStream;

use crate::config::PeerConfig;
use crate::framed::{Framed, Next};
use crate::log::Field;
use crate::node::Node;
use crate::session;

/// A session shorter than this does not reset the dialer's backoff.
pub(crate) const STABLE: Duration = Duration::from_secs(5);

/// Why a link could not be set up.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LinkError {
    /// Connecting, reading or writing failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The peer did not answer within the time allowed.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The peer closed the connection during the handshake.
    #[error("closed during the handshake")]
    Closed,
    /// A handshake line was malformed or not the one expected.
    #[error("unexpected handshake line: {0}")]
    Unexpected(String),
    /// The hello names a server this one is not linked to.
    #[error("{from} is not linked to {me} (asked for {to})")]
    NotLinked {
        /// Who said hello.
        from: String,
        /// Whom it asked for.
        to: String,
        /// This server.
        me: String,
    },
    /// The other side's proof does not verify: it does not have our secret.
    #[error("{0} failed the handshake (wrong secret?)")]
    BadProof(String),
}

/// A short, printable excerpt of a line a peer sent, for error messages and logs.
fn excerpt(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(&line[..line.len().min(80)]);
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

type Conn = Framed<Timed<TcpStream>>;

/// Read the next line within the handshake deadline.
async fn line_within(f: &mut Conn, limit: Duration) -> Result<Vec<u8>, LinkError> {
    match tokio::time::timeout(limit, f.read_frame()).await {
        Ok(Ok(Next::Line(l))) => Ok(l),
        Ok(Ok(Next::TooLong)) => Err(LinkError::Unexpected("an over-long line".into())),
        Ok(Ok(Next::Eof(_))) => Err(LinkError::Closed),
        Ok(Err(e)) => Err(LinkError::Io(e)),
        Err(_) => Err(LinkError::Timeout(limit)),
    }
}

async fn send(f: &mut Conn, frame: &PeerFrame) -> Result<(), LinkError> {
    f.write_frame(frame.to_string().as_bytes());
    Ok(f.flush().await?)
}

/// Accept a peer whose first line was `hello`; on success run the session.
pub(crate) async fn accept(node: Arc<Node>, mut f: Conn, hello: Vec<u8>, addr: String) {
    f.set_max_line(MAX_PEER_LINE);
    match handshake_as_acceptor(&node, &mut f, &hello).await {
        Ok(peer) => session::run(node, peer, f).await,
        Err(why) => {
            // Answer like any bad command, so a confused client sees the usual `?` reply.
            f.wr.write_raw(error_reply(&hello).as_bytes());
            let _ = f.flush().await;
            let reason = why.to_string();
            tracing::warn!(server = %node.cfg.name, from = %addr, %reason, "peer rejected");
            node.log.record(
                "peer_rejected",
                &[("from", Field::Str(&addr)), ("reason", Field::Str(&reason))],
            );
        }
    }
}

async fn handshake_as_acceptor(
    node: &Node,
    f: &mut Conn,
    hello: &[u8],
) -> Result<String, LinkError> {
    let me = &node.cfg.name;
    let Ok(PeerFrame::Hello {
        from,
        to,
        nonce: nc,
    }) = parse_peer_frame(hello)
    else {
        return Err(LinkError::Unexpected(excerpt(hello)));
    };
    if &to != me || !node.cfg.peers.iter().any(|p| p.name == from) {
        return Err(LinkError::NotLinked {
            from,
            to,
            me: me.clone(),
        });
    }
    let na = new_nonce();
    let welcome = PeerFrame::Welcome {
        from: me.clone(),
        nonce: na.clone(),
        proof: proof(&node.cfg.secret, Role::Acceptor, &from, me, &nc, &na),
    };
    send(f, &welcome).await?;
    let line = line_within(f, node.cfg.limits.header_timeout).await?;
    match parse_peer_frame(&line) {
        Ok(PeerFrame::Proof { proof: p })
            if verify_proof(&node.cfg.secret, Role::Connector, &from, me, &nc, &na, &p) =>
        {
            Ok(from)
        }
        _ => Err(LinkError::BadProof(from)),
    }
}

/// Dial `peer`, authenticate, and return the ready connection.
async fn connect(node: &Node, peer: &PeerConfig) -> Result<Conn, LinkError> {
    let limits = &node.cfg.limits;
    let stream = tokio::time::timeout(node.cfg.connect_timeout, TcpStream::connect(&peer.addr))
        .await
        .map_err(|_| LinkError::Timeout(node.cfg.connect_timeout))??;
    let _ = stream.set_nodelay(true);
    let io = Timed::new(
        stream,
        Some(limits.idle_timeout),
        Some(limits.write_timeout),
    );
    let mut f = Framed::new(io, MAX_PEER_LINE);
    let me = &node.cfg.name;
    let nc = new_nonce();
    let hello = PeerFrame::Hello {
        from: me.clone(),
        to: peer.name.clone(),
        nonce: nc.clone(),
    };
    send(&mut f, &hello).await?;
    let line = line_within(&mut f, limits.header_timeout).await?;
    let (na, p) = match parse_peer_frame(&line) {
        Ok(PeerFrame::Welcome { from, nonce, proof }) if from == peer.name => (nonce, proof),
        _ => return Err(LinkError::Unexpected(excerpt(&line))),
    };
    if !verify_proof(
        &node.cfg.secret,
        Role::Acceptor,
        me,
        &peer.name,
        &nc,
        &na,
        &p,
    ) {
        return Err(LinkError::BadProof(peer.name.clone()));
    }
    let mine = proof(&node.cfg.secret, Role::Connector, me, &peer.name, &nc, &na);
    send(&mut f, &PeerFrame::Proof { proof: mine }).await?;
    Ok(f)
}

/// Keep a link to `peer` up until shutdown, redialing after every session and every
/// failure with capped exponential backoff.
pub(crate) async fn dial_loop(node: Arc<Node>, peer: PeerConfig) {
    let mut delay = node.cfg.backoff_initial;
    let mut failures = 0u32;
    while !node.shutdown.is_triggered() {
        let attempt = tokio::select! {
            r = connect(&node, &peer) => r,
            _ = node.shutdown.cancelled() => break,
        };
        match attempt {
            Ok(f) => {
                failures = 0;
                let started = Instant::now();
                session::run(node.clone(), peer.name.clone(), f).await;
                delay = if started.elapsed() >= STABLE {
                    node.cfg.backoff_initial
                } else {
                    (delay * 2).min(node.cfg.backoff_max)
                };
            }
            Err(why) => {
                failures += 1;
                // Say it once, then stay quiet while the peer is simply down.
                if failures == 1 {
                    tracing::debug!(server = %node.cfg.name, peer = %peer.name, %why, "cannot link");
                }
                delay = (delay * 2).min(node.cfg.backoff_max);
            }
        }
        // Jitter (50-100% of the delay) so a restarted herd does not reconnect in lockstep.
        let jittered = delay.mul_f64(0.5 + rand::random::<f64>() / 2.0);
        tokio::select! {
            _ = tokio::time::sleep(jittered) => {}
            _ = node.shutdown.cancelled() => break,
        }
    }
}
