//! Peer links: the handshake, the dialer, and a linked session.
//!
//! Of two linked servers the one whose name sorts first dials; the other accepts on its
//! ordinary port, where a first line `HERD-HELLO` marks a peer. The handshake is a mutual
//! challenge-response over the herd secret (HMAC-SHA256 over both names and both nonces),
//! so a client that has not the secret can never inject updates. See docs/protocol.md.
//!
//! A session then runs a reader and a writer. Each side first sends its bucket digests; on
//! the other's digest it streams every entry of every differing bucket (anti-entropy), and
//! from then on every new update. The reader never waits for the writer, so two peers
//! streaming large resyncs at each other cannot deadlock.

use std::sync::Arc;
use std::time::Duration;

use herd_proto::{
    error_reply, is_space, new_nonce, parse_peer_frame, proof, verify_proof, PeerFrame, Role,
};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWriteExt, BufWriter};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::PeerConfig;
use crate::conn::{LineReader, Next};
use crate::server::Node;

/// Whether a connection's first line opens a peer handshake.
pub(crate) fn is_hello(line: &[u8]) -> bool {
    let trimmed = line
        .iter()
        .position(|&b| !is_space(b))
        .map_or(&line[..0], |i| &line[i..]);
    trimmed.starts_with(b"HERD-HELLO")
}

/// Read the next line within the handshake deadline.
async fn line_within<R: AsyncRead + Unpin>(
    reader: &mut LineReader<R>,
    limit: Duration,
) -> Result<Vec<u8>, String> {
    match tokio::time::timeout(limit, reader.next()).await {
        Ok(Ok(Next::Line(l))) => Ok(l),
        Ok(Ok(Next::TooLong)) => Err("line too long".into()),
        Ok(Ok(Next::Eof(_))) => Err("closed during handshake".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("handshake timed out".into()),
    }
}

/// Accept a peer whose first line was `hello`; on success run the session.
pub(crate) async fn accept(
    node: Arc<Node>,
    stream: TcpStream,
    rest: LineReader<()>,
    hello: Vec<u8>,
) {
    let addr = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let mut reader = rest.with_buffer(stream);
    let me = node.cfg.name.clone();
    let outcome: Result<String, String> = async {
        let Ok(PeerFrame::Hello {
            from,
            to,
            nonce: nc,
        }) = parse_peer_frame(&hello)
        else {
            return Err("malformed hello".into());
        };
        if to != me || !node.cfg.peers.iter().any(|p| p.name == from) {
            return Err(format!("{from} is not linked to {me} (asked for {to})"));
        }
        let na = new_nonce();
        let welcome = PeerFrame::Welcome {
            from: me.clone(),
            nonce: na.clone(),
            proof: proof(&node.cfg.secret, Role::Acceptor, &from, &me, &nc, &na),
        };
        send_line(reader.get_mut(), &welcome.to_string()).await?;
        let line = line_within(&mut reader, node.cfg.handshake_timeout).await?;
        match parse_peer_frame(&line) {
            Ok(PeerFrame::Proof { proof: p })
                if verify_proof(&node.cfg.secret, Role::Connector, &from, &me, &nc, &na, &p) =>
            {
                Ok(from)
            }
            _ => Err(format!("{from} failed the handshake (wrong secret?)")),
        }
    }
    .await;
    match outcome {
        Ok(peer) => session(node, peer, reader).await,
        Err(why) => {
            // Answer like any bad command, so a confused client sees the usual `?` reply.
            let _ = reader
                .get_mut()
                .write_all(error_reply(&hello).as_bytes())
                .await;
            tracing::warn!(server = %me, from = %addr, %why, "peer rejected");
            node.log
                .record("peer_rejected", json!({ "from": addr, "reason": why }));
        }
    }
}

async fn send_line(stream: &mut TcpStream, line: &str) -> Result<(), String> {
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    stream.write_all(&bytes).await.map_err(|e| e.to_string())
}

/// Dial `peer`, authenticate, and return the ready connection.
async fn connect(node: &Node, peer: &PeerConfig) -> Result<LineReader<TcpStream>, String> {
    let stream = TcpStream::connect(&peer.addr)
        .await
        .map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let me = &node.cfg.name;
    let mut reader = LineReader::new(stream, node.cfg.max_line);
    let nc = new_nonce();
    let hello = PeerFrame::Hello {
        from: me.clone(),
        to: peer.name.clone(),
        nonce: nc.clone(),
    };
    send_line(reader.get_mut(), &hello.to_string()).await?;
    let line = line_within(&mut reader, node.cfg.handshake_timeout).await?;
    let (na, p) = match parse_peer_frame(&line) {
        Ok(PeerFrame::Welcome { from, nonce, proof }) if from == peer.name => (nonce, proof),
        _ => {
            return Err(format!(
                "unexpected answer: {}",
                String::from_utf8_lossy(&line)
            ))
        }
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
        return Err("peer failed the handshake (wrong secret?)".into());
    }
    let mine = proof(&node.cfg.secret, Role::Connector, me, &peer.name, &nc, &na);
    send_line(
        reader.get_mut(),
        &PeerFrame::Proof { proof: mine }.to_string(),
    )
    .await?;
    Ok(reader)
}

/// Keep a link to `peer` up until shutdown, reconnecting with capped exponential backoff.
pub(crate) async fn dial_loop(node: Arc<Node>, peer: PeerConfig) {
    let mut delay = node.cfg.backoff_initial;
    let mut failures = 0u32;
    while !node.shutdown.is_triggered() {
        let attempt = tokio::select! {
            r = connect(&node, &peer) => r,
            _ = node.shutdown.cancelled() => break,
        };
        match attempt {
            Ok(reader) => {
                failures = 0;
                delay = node.cfg.backoff_initial;
                session(node.clone(), peer.name.clone(), reader).await;
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

/// Run an authenticated link until either side drops it, the queue overflows, or shutdown.
async fn session(node: Arc<Node>, peer: String, reader: LineReader<TcpStream>) {
    let (stream, rest) = reader.into_parts();
    let (rd, wr) = stream.into_split();
    let mut reader = rest.with_buffer(rd);
    let (tx, rx) = mpsc::channel(node.cfg.peer_queue);
    let (resync_tx, resync_rx) = mpsc::unbounded_channel();
    let reset = CancellationToken::new();
    let id = node.links.register(&peer, tx, reset.clone());
    tracing::info!(server = %node.cfg.name, %peer, "peer linked");
    node.log.record("peer_connect", json!({ "peer": peer }));
    // The digest is taken after registering, so nothing applied in between is missed.
    let digest = PeerFrame::Digest(node.state.digest()).to_string();
    let writer = tokio::spawn(write_loop(
        node.clone(),
        wr,
        rx,
        resync_rx,
        digest,
        reset.clone(),
    ));
    let why = tokio::select! {
        why = read_loop(&node, &peer, &mut reader, &resync_tx) => why,
        _ = reset.cancelled() => "reset".to_string(),
        _ = node.shutdown.cancelled() => "shutdown".to_string(),
    };
    reset.cancel();
    let _ = writer.await;
    node.links.unregister(&peer, id);
    tracing::info!(server = %node.cfg.name, %peer, %why, "peer dropped");
    node.log
        .record("peer_drop", json!({ "peer": peer, "reason": why }));
}

/// Apply what the peer sends; returns why the link ended.
async fn read_loop<R: AsyncRead + Unpin>(
    node: &Node,
    peer: &str,
    reader: &mut LineReader<R>,
    resync: &mpsc::UnboundedSender<Vec<usize>>,
) -> String {
    loop {
        let line = match reader.next().await {
            Ok(Next::Line(l)) => l,
            Ok(Next::TooLong) => return "peer sent an over-long line".into(),
            Ok(Next::Eof(_)) => return "closed by peer".into(),
            Err(e) => return e.to_string(),
        };
        match parse_peer_frame(&line) {
            Ok(PeerFrame::Update(at)) => {
                if let Some(stored) = node.state.apply(&at) {
                    node.links.flood(&stored, Some(peer));
                    node.log
                        .record("peer_update", json!({ "peer": peer, "line": &*stored }));
                }
            }
            Ok(PeerFrame::Digest(theirs)) => {
                if resync.send(node.state.differing(&theirs)).is_err() {
                    return "writer ended".into();
                }
            }
            Ok(_) | Err(_) => {
                return format!("protocol error: {}", String::from_utf8_lossy(&line));
            }
        }
    }
}

/// Send the digest, then resync buckets on request and queued updates, batching writes.
async fn write_loop(
    node: Arc<Node>,
    wr: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Arc<str>>,
    mut resync: mpsc::UnboundedReceiver<Vec<usize>>,
    digest: String,
    reset: CancellationToken,
) {
    let mut w = BufWriter::with_capacity(64 * 1024, wr);
    let result: std::io::Result<()> = async {
        w.write_all(digest.as_bytes()).await?;
        w.write_all(b"\n").await?;
        w.flush().await?;
        loop {
            tokio::select! {
                _ = reset.cancelled() => return Ok(()),
                Some(buckets) = resync.recv() => {
                    for b in buckets {
                        for line in node.state.bucket_lines(b) {
                            w.write_all(line.as_bytes()).await?;
                            w.write_all(b"\n").await?;
                        }
                    }
                }
                line = rx.recv() => {
                    let Some(line) = line else { return Ok(()) };
                    w.write_all(line.as_bytes()).await?;
                    w.write_all(b"\n").await?;
                    while let Ok(more) = rx.try_recv() {
                        w.write_all(more.as_bytes()).await?;
                        w.write_all(b"\n").await?;
                    }
                }
            }
            w.flush().await?;
        }
    }
    .await;
    if let Err(e) = result {
        tracing::debug!(error = %e, "peer write failed");
    }
    let _ = w.shutdown().await;
    reset.cancel();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a first line starting with HERD-HELLO (after white space) opens a peer link.
    #[test]
    fn hello_detection() {
        assert!(is_hello(b"HERD-HELLO a b c"));
        assert!(is_hello(b" \tHERD-HELLO a b c"));
        assert!(!is_hello(b"IAMAT a +1+1 1"));
        assert!(!is_hello(b""));
    }
}
