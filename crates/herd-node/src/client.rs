//! One client connection: each line is answered in order; a last line without a newline
//! is answered when the client half-closes; then the connection closes.
//!
//! Replies to lines that arrived together are written together, so a pipelining client
//! costs one write per read, not one per command.

use std::net::SocketAddr;
use std::sync::Arc;

use herd_proto::{error_reply, parse_request, strip, At, Request, Timestamp};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::conn::{LineReader, Next};
use crate::peer;
use crate::server::Node;

/// Serve one accepted connection: a client, or a peer if its first line is a peer hello.
pub(crate) async fn serve(node: Arc<Node>, stream: TcpStream, addr: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let who = addr.to_string();
    let mut reader = LineReader::new(stream, node.cfg.max_line);
    let mut out: Vec<u8> = Vec::new();
    let mut first = true;
    loop {
        let next = if out.is_empty() {
            tokio::select! {
                r = tokio::time::timeout(node.cfg.idle_timeout, reader.next()) => match r {
                    Ok(Ok(next)) => next,
                    Ok(Err(e)) => {
                        tracing::debug!(client = %who, error = %e, "client read error");
                        return;
                    }
                    Err(_) => {
                        node.log.record("idle_close", serde_json::json!({ "client": who }));
                        break;
                    }
                },
                _ = node.shutdown.cancelled() => break,
            }
        } else {
            match reader.buffered() {
                Some(next) => next,
                None => {
                    if write(&mut reader, &mut out).await.is_err() {
                        return;
                    }
                    continue;
                }
            }
        };
        match next {
            Next::Line(line) => {
                if first && peer::is_hello(&line) {
                    let (stream, rest) = reader.into_parts();
                    peer::accept(node, stream, rest, line).await;
                    return;
                }
                first = false;
                answer(&node, &line, &who, &mut out).await;
            }
            Next::TooLong => {
                let reply = format!("? line longer than {} bytes\n", node.cfg.max_line);
                node.log.output(&who, &reply);
                out.extend_from_slice(reply.as_bytes());
            }
            Next::Eof(rest) => {
                if let Some(line) = rest {
                    answer(&node, &line, &who, &mut out).await;
                }
                break;
            }
        }
    }
    if write(&mut reader, &mut out).await.is_ok() {
        let _ = reader.get_mut().shutdown().await;
    }
}

async fn write(reader: &mut LineReader<TcpStream>, out: &mut Vec<u8>) -> std::io::Result<()> {
    if !out.is_empty() {
        reader.get_mut().write_all(out).await?;
        out.clear();
    }
    Ok(())
}

/// Answer one line into `out`. Blank lines are not commands and get no answer.
async fn answer(node: &Node, line: &[u8], who: &str, out: &mut Vec<u8>) {
    let received = Timestamp::now();
    let text = strip(line);
    if text.is_empty() {
        return;
    }
    let logging = node.log.enabled();
    if logging {
        node.log.input(who, &text);
    }
    let start = out.len();
    match parse_request(line) {
        Ok(Request::IAmAt(iamat)) => {
            let at = At::from_iamat(&node.cfg.name, received, &iamat);
            // Flood before answering, so a client that hears back can rely on the herd
            // already carrying its update.
            let line = match node.state.apply(&at) {
                Some(line) => {
                    node.links.flood(&line, None);
                    line
                }
                None => Arc::from(at.to_string()),
            };
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        Ok(Request::WhatsAt(q)) => match node.state.get(&q.client) {
            Some(entry) => {
                let bound = usize::try_from(q.bound).unwrap_or(usize::MAX);
                let resp = node
                    .cfg
                    .places
                    .nearby(entry.lat, entry.lon, q.radius_km, bound)
                    .await;
                out.extend_from_slice(entry.line.as_bytes());
                out.push(b'\n');
                match serde_json::to_string_pretty(&resp) {
                    Ok(json) => out.extend_from_slice(json.as_bytes()),
                    Err(_) => out.extend_from_slice(
                        br#"{"html_attributions": [], "results": [], "status": "UNKNOWN_ERROR"}"#,
                    ),
                }
                out.extend_from_slice(b"\n\n");
            }
            None => out.extend_from_slice(error_reply(line).as_bytes()),
        },
        // An AT line from a client is a forgery attempt or a confused client: only peers,
        // after the handshake, may send updates.
        Ok(Request::At(_)) | Err(_) => out.extend_from_slice(error_reply(line).as_bytes()),
    }
    if logging {
        node.log
            .output(who, &String::from_utf8_lossy(&out[start..]));
    }
}
