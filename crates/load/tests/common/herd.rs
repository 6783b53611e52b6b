//! A fake herd server: reads command lines, checks IAMAT and WHATSAT by hand (no regex, no
//! herd-proto, so it is an independent check of what the load generator sends), answers
//! `AT ...` like a real server, and counts.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the fake server saw.
#[derive(Default)]
pub(crate) struct Seen {
    /// Well-formed IAMAT lines answered with AT.
    pub(crate) iamat: AtomicU64,
    /// Well-formed WHATSAT lines (for a client already reported) answered.
    pub(crate) whatsat: AtomicU64,
    /// Lines that failed the checks (answered `? `).
    pub(crate) invalid: AtomicU64,
    /// Well-formed lines deliberately answered `? ` (every `reject_every`-th).
    pub(crate) rejected: AtomicU64,
    /// Connections accepted.
    pub(crate) connections: AtomicU64,
    /// Distinct clients reported.
    pub(crate) clients: Mutex<HashSet<String>>,
    /// The first few invalid lines, for failure messages.
    pub(crate) bad: Mutex<Vec<String>>,
}

/// Start the fake server; with `reject_every = Some(k)`, every k-th valid command is
/// answered `? ...` instead.
pub(crate) fn start(reject_every: Option<u64>) -> (std::net::SocketAddr, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let s = seen.clone();
    let addr = super::serve_on_thread(move |stream| {
        s.connections.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(serve(stream, s.clone(), reject_every));
    });
    (addr, seen)
}

async fn serve(mut s: TcpStream, seen: Arc<Seen>, reject_every: Option<u64>) {
    let mut buf = Vec::new();
    loop {
        while let Some(i) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=i).collect();
            let out = answer(&line, &seen, reject_every);
            if s.write_all(out.as_bytes()).await.is_err() {
                return;
            }
        }
        buf.reserve(4096);
        match s.read_buf(&mut buf).await {
            Ok(0) => {
                // A last line without newline before the half-close is still a command.
                if !buf.iter().all(u8::is_ascii_whitespace) {
                    let out = answer(&buf, &seen, reject_every);
                    let _ = s.write_all(out.as_bytes()).await;
                }
                let _ = s.shutdown().await;
                return;
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

fn answer(line: &[u8], seen: &Seen, reject_every: Option<u64>) -> String {
    let text = String::from_utf8_lossy(line).trim().to_string();
    let fields: Vec<&str> = text.split_ascii_whitespace().collect();
    let reply = match fields.as_slice() {
        ["IAMAT", client, coords, time]
            if valid_client(client) && valid_coords(coords) && valid_time(time) =>
        {
            seen.clients.lock().unwrap().insert(client.to_string());
            Some((
                &seen.iamat,
                format!("AT Fake +0.000000001 {client} {coords} {time}\n"),
            ))
        }
        ["WHATSAT", client, "10", "5"] if seen.clients.lock().unwrap().contains(*client) => Some((
            &seen.whatsat,
            format!(
                "AT Fake +0.000000001 {client} +1+1 1.0\n{{\"html_attributions\":[],\"results\":[],\n\"status\":\"OK\"}}\n\n"
            ),
        )),
        _ => None,
    };
    let Some((counter, reply)) = reply else {
        seen.invalid.fetch_add(1, Ordering::SeqCst);
        let mut bad = seen.bad.lock().unwrap();
        if bad.len() < 5 {
            bad.push(text.clone());
        }
        return format!("? {text}\n");
    };
    let n = seen.iamat.load(Ordering::SeqCst)
        + seen.whatsat.load(Ordering::SeqCst)
        + seen.rejected.load(Ordering::SeqCst)
        + 1;
    if reject_every.is_some_and(|k| n.checked_rem(k) == Some(0)) {
        seen.rejected.fetch_add(1, Ordering::SeqCst);
        return format!("? {text}\n");
    }
    counter.fetch_add(1, Ordering::SeqCst);
    reply
}

fn valid_client(c: &str) -> bool {
    !c.is_empty() && c.bytes().all(|b| b.is_ascii_graphic())
}

/// `±DD.dddd±DDD.dddd`: two signed decimals, latitude within 90, longitude within 180.
fn valid_coords(c: &str) -> bool {
    let Some(second) = c
        .char_indices()
        .skip(1)
        .find(|&(_, ch)| ch == '+' || ch == '-')
        .map(|(i, _)| i)
    else {
        return false;
    };
    let (lat, lon) = c.split_at(second);
    signed_decimal(lat, 90.0) && signed_decimal(lon, 180.0)
}

fn signed_decimal(s: &str, bound: f64) -> bool {
    let Some(digits) = s.strip_prefix('+').or_else(|| s.strip_prefix('-')) else {
        return false;
    };
    let Some((int, frac)) = digits.split_once('.') else {
        return false;
    };
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    all_digits(int) && all_digits(frac) && digits.parse::<f64>().is_ok_and(|v| v <= bound)
}

/// `seconds.nnnnnnnnn` (exactly nine fraction digits), within a minute of now.
fn valid_time(t: &str) -> bool {
    let Some((secs, frac)) = t.split_once('.') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(secs) || !digits(frac) || frac.len() != 9 {
        return false;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    secs.parse::<u64>().is_ok_and(|s| s.abs_diff(now) <= 60)
}
