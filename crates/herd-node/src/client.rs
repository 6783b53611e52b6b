//! One client connection: each line is answered in order; a last line without a newline
//! is answered when the client half-closes; then the connection closes.
//!
//! Replies to lines that arrived together are written together (one write per read), but
//! never more than [`OUT_HIGH`] bytes are held: past it the replies are sent before the
//! next line is read, so a client that sends many WHATSATs and never reads holds at most
//! that much memory, and the write timeout (from `netkit`) then ends it.
//!
//! The first line must arrive within the header timeout; if it is a peer hello, the
//! connection becomes a peer session. A connection admitted into an overflow slot (every
//! normal slot is taken) is served only if it is a peer: that keeps links able to form
//! while clients hold every slot.

use std::sync::Arc;

use herd_proto::{error_reply, is_peer_hello, parse_request, strip, At, Request, Timestamp};
use netkit::{Admission, Conn, Timed};
use places::NearbyResponse;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::framed::{Framed, Next};
use crate::log::Field;
use crate::node::Node;
use crate::peer;
use crate::state::Origin;

/// Most reply bytes held for a client before they must be sent.
pub(crate) const OUT_HIGH: usize = 64 * 1024;

/// Serve one accepted connection: a client, or a peer if its first line is a peer hello.
pub(crate) async fn serve(node: Arc<Node>, conn: Conn) {
    let who = conn.peer.to_string();
    let token = node.clients.token();
    let mut f = Framed::new(conn.stream, node.cfg.limits.max_header_bytes);
    let first = match tokio::time::timeout(node.cfg.limits.header_timeout, f.read_frame()).await {
        Ok(Ok(next)) => next,
        Ok(Err(e)) => return closed(&node, &who, &e),
        Err(_) => {
            node.log
                .record("header_timeout", &[("client", Field::Str(&who))]);
            return;
        }
    };
    if let Next::Line(line) = &first {
        if is_peer_hello(line) {
            drop(token);
            peer::accept(node, f, line.clone(), who).await;
            return;
        }
    }
    if conn.admission == Admission::Overflow {
        node.log
            .record("busy_close", &[("client", Field::Str(&who))]);
        return;
    }
    let mut next = Some(first);
    loop {
        let item = match next.take().or_else(|| f.rd.buffered()) {
            Some(item) => item,
            None => {
                if let Err(e) = f.flush().await {
                    return closed(&node, &who, &e);
                }
                tokio::select! {
                    r = f.read_frame() => match r {
                        Ok(item) => item,
                        Err(e) => return closed(&node, &who, &e),
                    },
                    _ = node.shutdown.cancelled() => break,
                }
            }
        };
        match item {
            Next::Line(line) => answer(&node, &line, &who, &mut f).await,
            Next::TooLong => {
                let reply = format!(
                    "? line longer than {} bytes",
                    node.cfg.limits.max_header_bytes
                );
                node.log.output(&who, reply.as_bytes());
                f.write_frame(reply.as_bytes());
            }
            Next::Eof(rest) => {
                if let Some(line) = rest {
                    answer(&node, &line, &who, &mut f).await;
                }
                break;
            }
        }
        if f.wr.pending() >= OUT_HIGH {
            if let Err(e) = f.flush().await {
                return closed(&node, &who, &e);
            }
        }
    }
    if f.flush().await.is_ok() {
        let _ = f.io.shutdown().await;
    }
    drop(token);
}

/// Log why a client connection ended early (idle, a write that timed out, a reset).
fn closed(node: &Node, who: &str, e: &std::io::Error) {
    let reason = e.to_string();
    node.log.record(
        "client_closed",
        &[("client", Field::Str(who)), ("reason", Field::Str(&reason))],
    );
}

/// Answer one line into the output buffer. Blank lines are not commands and get no answer.
async fn answer(node: &Node, line: &[u8], who: &str, f: &mut Framed<Timed<TcpStream>>) {
    let received = Timestamp::now();
    let text = strip(line);
    if text.is_empty() {
        return;
    }
    let logging = node.log.enabled();
    if logging {
        node.log.input(who, &text);
    }
    let start = f.wr.pending();
    match parse_request(line) {
        Ok(Request::IAmAt(iamat)) => {
            let at = At::from_iamat(&node.cfg.name, received, &iamat);
            // Flood before answering, so a client that hears back can rely on the herd
            // already carrying its update.
            match node.take_update(&at, Origin::Client) {
                Some(stored) => f.write_frame(stored.as_bytes()),
                None => f.write_frame(at.to_string().as_bytes()),
            }
        }
        Ok(Request::WhatsAt(q)) => match node.state.get(&q.client) {
            Some(entry) => {
                let bound = usize::try_from(q.bound).unwrap_or(usize::MAX);
                let places = &node.cfg.places;
                // A remote provider may take seconds: on shutdown, answer at once instead
                // of holding the drain.
                let resp = tokio::select! {
                    r = places.nearby(entry.lat, entry.lon, q.radius_km, bound) => r,
                    _ = node.shutdown.cancelled() => {
                        NearbyResponse::failure("UNKNOWN_ERROR", "server shutting down")
                    }
                };
                f.write_frame(entry.line.as_bytes());
                match serde_json::to_vec_pretty(&resp) {
                    Ok(json) => f.wr.write_raw(&json),
                    Err(_) => f.wr.write_raw(
                        br#"{"html_attributions": [], "results": [], "status": "UNKNOWN_ERROR"}"#,
                    ),
                }
                f.wr.write_raw(b"\n\n");
            }
            None => f.wr.write_raw(error_reply(line).as_bytes()),
        },
        // An AT line from a client is a forgery attempt or a confused client: only peers,
        // after the handshake, may send updates.
        Ok(Request::At(_)) | Err(_) => f.wr.write_raw(error_reply(line).as_bytes()),
    }
    if logging {
        node.log.output(who, f.wr.since(start));
    }
}
