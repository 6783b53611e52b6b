//! Server-to-server frames and the handshake proofs.
//!
//! ```text
//! HERD-HELLO <from> <to> <nonce>        connector -> acceptor
//! HERD-WELCOME <from> <nonce> <proof>   acceptor -> connector
//! HERD-PROOF <proof>                    connector -> acceptor
//! HERD-DIGEST <hex16> x 256             both, after the handshake
//! AT ...                                an update, exactly as the origin server wrote it
//! HERD-PING                             either side, when it has sent nothing for a while
//! ```
//!
//! Peer lines may be up to [`crate::MAX_PEER_LINE`] bytes, so every AT line a server makes
//! from an accepted IAMAT fits.
//!
//! A proof is `hex(HMAC-SHA256(secret, role \n connector \n acceptor \n nonce_c \n nonce_a))`,
//! so each side shows it knows the herd secret without sending it, and a proof cannot be
//! replayed on another connection (fresh nonces) or reflected (the role is bound in).

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::message::{arity, parse_at, split_fields};
use crate::{At, ParseError, MAX_PEER_LINE};

/// Number of anti-entropy buckets, and so of values in a digest frame.
pub const DIGEST_BUCKETS: usize = 256;

/// One line on a peer connection.
#[derive(Clone, Debug, PartialEq)]
pub enum PeerFrame {
    /// Connector opens: who it is, whom it wants, its nonce.
    Hello {
        /// The connecting server.
        from: String,
        /// The server it means to reach.
        to: String,
        /// Connector nonce (hex).
        nonce: String,
    },
    /// Acceptor answers with its own nonce and proof.
    Welcome {
        /// The accepting server.
        from: String,
        /// Acceptor nonce (hex).
        nonce: String,
        /// Acceptor proof (hex).
        proof: String,
    },
    /// Connector's proof.
    Proof {
        /// Connector proof (hex).
        proof: String,
    },
    /// Per-bucket digests of the sender's store.
    Digest(Vec<u64>),
    /// A location update.
    Update(At),
    /// A heartbeat: the link is alive even when there is nothing to flood, so a half-open
    /// link (a peer that vanished without a FIN) is noticed by its silence.
    Ping,
}

/// Which side of the handshake a proof is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The side that accepted the connection.
    Acceptor,
    /// The side that dialed.
    Connector,
}

/// A hex field of 1 to `max` digits (either case), kept as text.
fn hex_field(s: &str, max: usize) -> Result<String, ParseError> {
    if s.is_empty() || s.len() > max || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ParseError::BadFrame);
    }
    Ok(s.to_string())
}

/// One digest value: exactly 16 lowercase hex digits. Checked by hand because
/// `u64::from_str_radix` also takes a `+` sign and upper case, which would let two texts
/// mean one value.
fn digest_value(h: &str) -> Result<u64, ParseError> {
    let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    if h.len() != 16 || !h.bytes().all(lower_hex) {
        return Err(ParseError::BadFrame);
    }
    u64::from_str_radix(h, 16).map_err(|_| ParseError::BadFrame)
}

/// Parse one peer line.
///
/// # Errors
/// [`ParseError`] for an unknown frame, wrong field count or malformed field.
pub fn parse_peer_frame(line: &[u8]) -> Result<PeerFrame, ParseError> {
    let parts = split_fields(line, MAX_PEER_LINE)?;
    match parts[0] {
        "HERD-HELLO" => {
            arity(&parts, "HERD-HELLO", 3)?;
            Ok(PeerFrame::Hello {
                from: parts[1].to_string(),
                to: parts[2].to_string(),
                nonce: hex_field(parts[3], 64)?,
            })
        }
        "HERD-WELCOME" => {
            arity(&parts, "HERD-WELCOME", 3)?;
            Ok(PeerFrame::Welcome {
                from: parts[1].to_string(),
                nonce: hex_field(parts[2], 64)?,
                proof: hex_field(parts[3], 128)?,
            })
        }
        "HERD-PROOF" => {
            arity(&parts, "HERD-PROOF", 1)?;
            Ok(PeerFrame::Proof {
                proof: hex_field(parts[1], 128)?,
            })
        }
        "HERD-DIGEST" => {
            arity(&parts, "HERD-DIGEST", DIGEST_BUCKETS)?;
            parts[1..]
                .iter()
                .map(|h| digest_value(h))
                .collect::<Result<Vec<u64>, _>>()
                .map(PeerFrame::Digest)
        }
        "AT" => parse_at(&parts).map(PeerFrame::Update),
        "HERD-PING" => {
            arity(&parts, "HERD-PING", 0)?;
            Ok(PeerFrame::Ping)
        }
        _ => Err(ParseError::UnknownCommand),
    }
}

impl fmt::Display for PeerFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerFrame::Hello { from, to, nonce } => write!(f, "HERD-HELLO {from} {to} {nonce}"),
            PeerFrame::Welcome { from, nonce, proof } => {
                write!(f, "HERD-WELCOME {from} {nonce} {proof}")
            }
            PeerFrame::Proof { proof } => write!(f, "HERD-PROOF {proof}"),
            PeerFrame::Digest(values) => {
                f.write_str("HERD-DIGEST")?;
                for v in values {
                    write!(f, " {v:016x}")?;
                }
                Ok(())
            }
            PeerFrame::Update(at) => write!(f, "{at}"),
            PeerFrame::Ping => f.write_str("HERD-PING"),
        }
    }
}

/// Whether a connection's first line opens a peer handshake: its first field is exactly
/// `HERD-HELLO` (so `HERD-HELLOX ...` is an ordinary, invalid, client command).
pub fn is_peer_hello(line: &[u8]) -> bool {
    crate::fields(line).next() == Some(b"HERD-HELLO".as_slice())
}

/// A fresh 128-bit nonce as 32 lowercase hex digits.
pub fn new_nonce() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

fn mac(secret: &[u8], role: Role, parts: [&str; 4]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this constructor cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    m.update(match role {
        Role::Acceptor => b"acceptor",
        Role::Connector => b"connector",
    });
    for p in parts {
        m.update(b"\n");
        m.update(p.as_bytes());
    }
    m
}

/// The proof `role` sends in the handshake between `connector` and `acceptor`.
pub fn proof(
    secret: &[u8],
    role: Role,
    connector: &str,
    acceptor: &str,
    connector_nonce: &str,
    acceptor_nonce: &str,
) -> String {
    let m = mac(
        secret,
        role,
        [connector, acceptor, connector_nonce, acceptor_nonce],
    );
    hex::encode(m.finalize().into_bytes())
}

/// Check a received proof in constant time.
pub fn verify_proof(
    secret: &[u8],
    role: Role,
    connector: &str,
    acceptor: &str,
    connector_nonce: &str,
    acceptor_nonce: &str,
    proof_hex: &str,
) -> bool {
    let Ok(bytes) = hex::decode(proof_hex) else {
        return false;
    };
    mac(
        secret,
        role,
        [connector, acceptor, connector_nonce, acceptor_nonce],
    )
    .verify_slice(&bytes)
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each frame formats and parses back to itself.
    #[test]
    fn frames_round_trip() {
        let frames = [
            PeerFrame::Hello {
                from: "A".into(),
                to: "B".into(),
                nonce: new_nonce(),
            },
            PeerFrame::Welcome {
                from: "B".into(),
                nonce: "00ff".into(),
                proof: "ab".repeat(32),
            },
            PeerFrame::Proof {
                proof: "cd".repeat(32),
            },
            PeerFrame::Digest(
                (0..DIGEST_BUCKETS as u64)
                    .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
                    .collect(),
            ),
        ];
        for f in frames {
            assert_eq!(parse_peer_frame(f.to_string().as_bytes()), Ok(f));
        }
        let at = b"AT A +0.000000001 c +1+1 5";
        assert!(matches!(parse_peer_frame(at), Ok(PeerFrame::Update(_))));
        assert_eq!(parse_peer_frame(b"HERD-PING"), Ok(PeerFrame::Ping));
    }

    /// Only a first field of exactly HERD-HELLO opens a peer link.
    #[test]
    fn hello_detection() {
        assert!(is_peer_hello(b"HERD-HELLO a b c"));
        assert!(is_peer_hello(b" \tHERD-HELLO a b c"));
        assert!(is_peer_hello(b"HERD-HELLO"));
        assert!(!is_peer_hello(b"HERD-HELLOX a b c"));
        assert!(!is_peer_hello(b"IAMAT a +1+1 1"));
        assert!(!is_peer_hello(b""));
    }

    /// The longest AT line a server can make from an accepted IAMAT fits on a peer link:
    /// the longest server name, the widest time difference, single-space IAMAT fields.
    #[test]
    fn at_from_longest_iamat_fits_peer_line() {
        use crate::{parse_request, Request, Timestamp, MAX_LINE, MAX_SERVER_NAME};
        let head = "IAMAT ";
        let tail = " +90.000000000-180.000000000 -999999999999999999.999999999";
        let client = "c".repeat(MAX_LINE - head.len() - tail.len());
        let line = format!("{head}{client}{tail}");
        assert_eq!(line.len(), MAX_LINE);
        let Ok(Request::IAmAt(i)) = parse_request(line.as_bytes()) else {
            panic!("a line at the limit is a valid IAMAT")
        };
        let latest = Timestamp::new(i64::MAX, 999_999_999).unwrap();
        let at = At::from_iamat(&"S".repeat(MAX_SERVER_NAME), latest, &i).to_string();
        assert!(
            at.len() <= MAX_PEER_LINE,
            "{} > {}",
            at.len(),
            MAX_PEER_LINE
        );
        assert!(matches!(
            parse_peer_frame(at.as_bytes()),
            Ok(PeerFrame::Update(_))
        ));
    }

    /// Malformed frames are errors, not panics.
    #[test]
    fn bad_frames() {
        for bad in [
            "HERD-HELLO A B",
            "HERD-HELLO A B xyz",
            "HERD-PROOF",
            "HERD-DIGEST 00",
            "IAMAT a +1+1 1",
            "HERD-WELCOME B 00 zz",
        ] {
            assert!(parse_peer_frame(bad.as_bytes()).is_err(), "{bad}");
        }
        let digest = |v: &str| {
            let mut line = "HERD-DIGEST".to_string();
            for i in 0..DIGEST_BUCKETS {
                line.push(' ');
                line.push_str(if i == 7 { v } else { "0000000000000000" });
            }
            parse_peer_frame(line.as_bytes())
        };
        assert!(matches!(
            digest("00000000000000ff"),
            Ok(PeerFrame::Digest(_))
        ));
        for bad in [
            "+00000000000000f",
            "00000000000000FF",
            "0",
            "00000000000000000",
        ] {
            assert_eq!(digest(bad), Err(ParseError::BadFrame), "{bad}");
        }
        let long_nonce = format!("HERD-HELLO A B {}", "a".repeat(65));
        assert_eq!(
            parse_peer_frame(long_nonce.as_bytes()),
            Err(ParseError::BadFrame)
        );
        let huge = vec![b'a'; crate::MAX_PEER_LINE + 1];
        assert_eq!(parse_peer_frame(&huge), Err(ParseError::TooLong));
        assert_eq!(
            parse_peer_frame(b"HERD-PING x"),
            Err(ParseError::WrongArity {
                command: "HERD-PING",
                expected: 0,
                got: 1
            })
        );
        assert_eq!(parse_peer_frame(b" \t"), Err(ParseError::Empty));
        assert_eq!(
            parse_peer_frame(b"HERD-PROOF \xff"),
            Err(ParseError::NotUtf8)
        );
    }

    /// Proofs verify only with the same secret, role, names and nonces.
    #[test]
    fn proofs() {
        let p = proof(b"s", Role::Acceptor, "A", "B", "01", "02");
        assert!(verify_proof(b"s", Role::Acceptor, "A", "B", "01", "02", &p));
        assert!(!verify_proof(
            b"t",
            Role::Acceptor,
            "A",
            "B",
            "01",
            "02",
            &p
        ));
        assert!(!verify_proof(
            b"s",
            Role::Connector,
            "A",
            "B",
            "01",
            "02",
            &p
        ));
        assert!(!verify_proof(
            b"s",
            Role::Acceptor,
            "A",
            "B",
            "01",
            "03",
            &p
        ));
        assert!(!verify_proof(
            b"s",
            Role::Acceptor,
            "A",
            "B",
            "01",
            "02",
            "nothex"
        ));
    }
}
