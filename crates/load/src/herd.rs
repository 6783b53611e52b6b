//! The herd protocol driver: which command to send next, and where its answer ends.

use herd_proto::Timestamp;

/// Distinct client ids cycled through, so the server's store reaches a steady size.
pub(crate) const CLIENT_POOL: u64 = 10_000;

/// Commands for one connection.
#[derive(Debug)]
pub(crate) struct Commands {
    conn: u64,
    n: u64,
    whatsat_ratio: f64,
    last_client: Option<String>,
    /// xorshift state: cheap, deterministic per connection, no shared RNG.
    rng: u64,
}

impl Commands {
    pub(crate) fn new(conn: usize, whatsat_ratio: f64) -> Self {
        Commands {
            conn: conn as u64,
            n: 0,
            whatsat_ratio,
            last_client: None,
            rng: 0x9e37_79b9_7f4a_7c15 ^ (conn as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9),
        }
    }

    fn random(&mut self) -> f64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The next command line (with newline) and whether it is a WHATSAT.
    pub(crate) fn next_line(&mut self) -> (String, bool) {
        self.n += 1;
        if self.whatsat_ratio > 0.0 && self.random() < self.whatsat_ratio {
            if let Some(c) = &self.last_client {
                return (format!("WHATSAT {c} 10 5\n"), true);
            }
        }
        let id = (self.conn.wrapping_mul(7919) + self.n) % CLIENT_POOL;
        let client = format!("load-{id}.example.org");
        let jitter = (self.n % 1000) as f64 * 0.0001;
        let line = format!(
            "IAMAT {client} {:+.6}{:+.6} {}\n",
            34.068930 + jitter,
            -118.445127 - jitter,
            Timestamp::now()
        );
        self.last_client = Some(client);
        (line, false)
    }
}

/// Length of a complete answer at the start of `buf`, if there is one: one line for IAMAT
/// and for any `?` answer; for WHATSAT the AT line, the JSON, and the blank line after it.
pub(crate) fn answer_len(buf: &[u8], whatsat: bool) -> Option<usize> {
    let first = buf.iter().position(|&b| b == b'\n')? + 1;
    if !whatsat || buf.starts_with(b"? ") {
        return Some(first);
    }
    buf[first..]
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| first + i + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Generated IAMAT lines are valid protocol; WHATSAT names a client already sent.
    #[test]
    fn lines_are_valid() {
        let mut c = Commands::new(3, 0.5);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let (line, whatsat) = c.next_line();
            match herd_proto::parse_request(line.trim_end().as_bytes()) {
                Ok(herd_proto::Request::IAmAt(i)) => {
                    assert!(!whatsat);
                    seen.insert(i.client);
                }
                Ok(herd_proto::Request::WhatsAt(w)) => assert!(whatsat && seen.contains(&w.client)),
                other => panic!("{line:?} -> {other:?}"),
            }
        }
    }

    /// Answer framing for each kind.
    #[test]
    fn framing() {
        assert_eq!(answer_len(b"AT x\nmore", false), Some(5));
        assert_eq!(answer_len(b"? WHATSAT x\n", true), Some(12));
        assert_eq!(answer_len(b"AT x\n{\n}\n", true), None);
        assert_eq!(answer_len(b"AT x\n{\n}\n\nAT", true), Some(10));
    }
}
