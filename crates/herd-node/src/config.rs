//! The herd's TOML file and the per-node [`NodeConfig`] derived from it.
//!
//! The file names every server and the links between them; one process may run one node
//! (`herd node NAME`) or all of them (`herd up`). Validation happens once, here, so the
//! binary can print a one-line error for a bad file or an unknown name.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{Error, LogConfig};

/// The embedded default `herd.toml`: five servers on 127.0.0.1:12000-12004.
pub const EMBEDDED_HERD_TOML: &str = include_str!("../herd.toml");

/// The `[herd]` table: settings shared by every node.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HerdSection {
    /// Shared secret peers prove they know in the handshake. `HERD_SECRET` overrides it.
    pub secret: Option<String>,
}

/// A parsed and validated herd file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HerdFile {
    /// Server name to "host:port" for both client and peer traffic.
    pub servers: BTreeMap<String, String>,
    /// Links; each pair need only be listed once, in either direction.
    #[serde(default)]
    pub links: BTreeMap<String, Vec<String>>,
    /// Places providers for WHATSAT.
    #[serde(default)]
    pub places: places::PlacesConfig,
    /// Herd-wide settings.
    #[serde(default)]
    pub herd: HerdSection,
    /// Connection limits and timeouts for every node (netkit's vocabulary; durations as
    /// `"10s"`). Flags override them.
    #[serde(default)]
    pub limits: netkit::Limits,
}

impl HerdFile {
    /// The embedded default herd.
    pub fn embedded() -> Result<Self, Error> {
        Self::parse(EMBEDDED_HERD_TOML)
    }

    /// Parse and validate a herd file's text.
    ///
    /// # Errors
    /// [`Error::Config`] for TOML syntax, unknown keys, links naming unknown servers, a
    /// server linked to itself, or an address that is not `ip:port`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let file: HerdFile = toml::from_str(text).map_err(|e| Error::Config(e.to_string()))?;
        file.limits
            .validate()
            .map_err(|e| Error::Config(format!("[limits] {e}")))?;
        if file.limits.max_header_bytes > herd_proto::MAX_LINE {
            return Err(Error::Config(format!(
                "[limits] max_header_bytes is the longest client line, at most {} (the peer \
                 link limit is sized for it)",
                herd_proto::MAX_LINE
            )));
        }
        if file.servers.is_empty() {
            return Err(Error::Config("[servers] names no server".into()));
        }
        for (name, addr) in &file.servers {
            if name.is_empty() || name.chars().any(char::is_whitespace) {
                return Err(Error::Config(format!(
                    "server name {name:?} must be one word"
                )));
            }
            if name.len() > herd_proto::MAX_SERVER_NAME {
                return Err(Error::Config(format!(
                    "server name {name:?} is longer than {} bytes",
                    herd_proto::MAX_SERVER_NAME
                )));
            }
            addr.parse::<SocketAddr>().map_err(|_| {
                Error::Config(format!("server {name}: address {addr:?} is not ip:port"))
            })?;
        }
        for (a, bs) in &file.links {
            for b in std::iter::once(a).chain(bs) {
                if !file.servers.contains_key(b) {
                    return Err(Error::Config(format!(
                        "[links] names {b:?}, which is not in [servers]"
                    )));
                }
            }
            if bs.contains(a) {
                return Err(Error::Config(format!("[links] links {a} to itself")));
            }
        }
        Ok(file)
    }

    /// Server names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.servers.keys().map(String::as_str)
    }

    /// The names linked to `name`, either direction, sorted and without repeats.
    pub fn neighbors(&self, name: &str) -> Vec<String> {
        let mut out = BTreeSet::new();
        for (a, bs) in &self.links {
            for b in bs {
                if a == name {
                    out.insert(b.clone());
                } else if b == name {
                    out.insert(a.clone());
                }
            }
        }
        out.into_iter().collect()
    }

    /// The listen address of `name`.
    ///
    /// # Errors
    /// [`Error::UnknownNode`] listing the names the file does have.
    pub fn addr(&self, name: &str) -> Result<SocketAddr, Error> {
        let addr = self.servers.get(name).ok_or_else(|| Error::UnknownNode {
            name: name.to_string(),
            known: self.servers.keys().cloned().collect::<Vec<_>>().join(", "),
        })?;
        addr.parse()
            .map_err(|_| Error::Config(format!("server {name}: bad address {addr:?}")))
    }

    /// The shared secret: `HERD_SECRET`, else `[herd] secret`, else a digest of the
    /// `[servers]` and `[links]` tables (returned with `true` so callers can warn), so nodes
    /// started from one file agree without configuration.
    pub fn secret(&self, env: Option<String>) -> (Vec<u8>, bool) {
        if let Some(s) = env.filter(|s| !s.is_empty()) {
            return (s.into_bytes(), false);
        }
        if let Some(s) = self.herd.secret.clone().filter(|s| !s.is_empty()) {
            return (s.into_bytes(), false);
        }
        let mut h = Sha256::new();
        h.update(b"herd-default-secret\n");
        for (name, addr) in &self.servers {
            h.update(format!("server {name} {addr}\n"));
        }
        for (a, bs) in &self.links {
            for b in bs {
                let (x, y) = if a < b { (a, b) } else { (b, a) };
                h.update(format!("link {x} {y}\n"));
            }
        }
        (hex::encode(h.finalize()).into_bytes(), true)
    }

    /// The config of one node of this file.
    ///
    /// # Errors
    /// [`Error::UnknownNode`] when the file has no server called `name`.
    pub fn node_config(
        &self,
        name: &str,
        secret: Vec<u8>,
        places: places::Places,
    ) -> Result<NodeConfig, Error> {
        self.addr(name)?;
        let peers = self
            .neighbors(name)
            .into_iter()
            .map(|n| {
                let addr = self.servers.get(&n).cloned().unwrap_or_default();
                PeerConfig { name: n, addr }
            })
            .collect();
        let mut cfg = NodeConfig::new(name, secret, places);
        cfg.peers = peers;
        cfg.limits = self.limits.clone();
        Ok(cfg)
    }
}

/// One linked peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerConfig {
    /// Its server name, as in `[servers]`.
    pub name: String,
    /// Where to dial it ("host:port").
    pub addr: String,
}

/// Everything one node needs to run. Build from a [`HerdFile`], [`NodeConfig::new`] or
/// [`NodeConfig::for_test`].
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// This server's name, used in AT lines and the handshake.
    pub name: String,
    /// Linked peers. The node whose name sorts first dials; the other accepts.
    pub peers: Vec<PeerConfig>,
    /// Shared herd secret for the peer handshake.
    pub secret: Vec<u8>,
    /// Places providers for WHATSAT.
    pub places: places::Places,
    /// The JSON-lines log; `None` disables it.
    pub log: Option<LogConfig>,
    /// Connection limits and timeouts. `max_header_bytes` is the longest client line
    /// (default and maximum [`herd_proto::MAX_LINE`]); `header_timeout` bounds the first
    /// line and the peer handshake; `idle_timeout` is the longest a client may send no byte
    /// at all.
    pub limits: netkit::Limits,
    /// First reconnect delay to a peer; doubles per failure up to `backoff_max`. Default 50 ms.
    pub backoff_initial: Duration,
    /// Reconnect delay cap. Default 2 s.
    pub backoff_max: Duration,
    /// Time allowed to connect to a peer. Default 5 s.
    pub connect_timeout: Duration,
    /// A linked peer is sent a heartbeat when nothing else was sent for this long, and a
    /// link silent for three times this long is dropped. Default 10 s.
    pub heartbeat: Duration,
    /// Updates queued for one peer before the link is reset and resynchronised by
    /// anti-entropy (so a slow peer never blocks the herd). Default 65,536.
    pub peer_queue: usize,
    /// Bytes queued for one peer before the same reset. Default 16 MiB.
    pub peer_queue_bytes: usize,
    /// Memory budget of the location store in bytes (see the `state` module: the oldest client times are evicted). Default 256 MiB.
    pub store_bytes: usize,
    /// Exchange digests and missing entries on every (re)connect. Always on in production;
    /// tests turn it off to check that flooding alone delivers.
    pub anti_entropy: bool,
}

impl NodeConfig {
    /// A node called `name` with no peers, no log and default limits.
    pub fn new(name: &str, secret: Vec<u8>, places: places::Places) -> Self {
        NodeConfig {
            name: name.to_string(),
            peers: Vec::new(),
            secret,
            places,
            log: None,
            limits: netkit::Limits::default(),
            backoff_initial: Duration::from_millis(50),
            backoff_max: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(5),
            heartbeat: Duration::from_secs(10),
            peer_queue: 65_536,
            peer_queue_bytes: 16 * 1024 * 1024,
            store_bytes: crate::state::DEFAULT_BUDGET,
            anti_entropy: true,
        }
    }

    /// For tests: no peers, the offline places provider, no log, the secret
    /// `test-secret`, and netkit's test limits (short grace).
    pub fn for_test(name: &str) -> Self {
        let mut cfg = Self::new(name, b"test-secret".to_vec(), places::Places::offline());
        cfg.limits = netkit::Limits::for_test();
        cfg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded file parses and has the classic topology.
    #[test]
    fn embedded_topology() {
        let f = HerdFile::embedded().unwrap();
        assert_eq!(f.names().count(), 5);
        assert_eq!(f.neighbors("Wilkes"), ["Goloman", "Hands", "Holiday"]);
        assert_eq!(f.neighbors("Welsh"), ["Holiday"]);
        assert_eq!(f.addr("Hands").unwrap().port(), 12001);
    }

    /// Unknown names, unknown link targets, bad addresses and unknown keys are errors.
    #[test]
    fn rejects_bad_files() {
        let f = HerdFile::embedded().unwrap();
        let e = f.addr("Nope").unwrap_err().to_string();
        assert!(e.contains("Goloman"), "{e}");
        assert!(HerdFile::parse("[servers]\nA = \"nowhere\"").is_err());
        assert!(HerdFile::parse("[servers]\nA = \"127.0.0.1:1\"\n[links]\nA = [\"B\"]").is_err());
        assert!(HerdFile::parse("[servers]\nA = \"127.0.0.1:1\"\n[oops]\n").is_err());
        assert!(HerdFile::parse("[servers]\n").is_err());
    }

    /// The default secret is the same for one file and differs for another; env wins.
    #[test]
    fn default_secret_is_a_digest() {
        let f = HerdFile::embedded().unwrap();
        let (a, defaulted) = f.secret(None);
        assert!(defaulted);
        assert_eq!(a, HerdFile::embedded().unwrap().secret(None).0);
        let g = HerdFile::parse("[servers]\nA = \"127.0.0.1:1\"").unwrap();
        assert_ne!(a, g.secret(None).0);
        assert_eq!(f.secret(Some("s3".into())), (b"s3".to_vec(), false));
    }
}
