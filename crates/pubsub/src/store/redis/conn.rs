//! [`Conn`]: one Redis server or a Redis Cluster behind the same two calls, every call
//! bounded by a timeout, every error classified and stripped of the password.
//!
//! A single server is reached through the redis crate's `ConnectionManager` (one
//! multiplexed connection, reconnected in the background after Redis restarts); a cluster
//! through its cluster client, which follows `MOVED`/`ASK` redirections. Which one is
//! decided by asking the first URL's server `INFO cluster`, so users give the same
//! `redis://host:port` either way (several comma-separated URLs are cluster seeds).

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster_async::ClusterConnection;
use redis::{Client, ErrorKind, RedisError, ScriptInvocation, Value};

use crate::error::redact;
use crate::Error;

/// A connection to one Redis server or one Redis Cluster.
#[derive(Clone)]
pub(crate) enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Conn::Single(_) => "Conn::Single",
            Conn::Cluster(_) => "Conn::Cluster",
        })
    }
}

/// What [`connect`] found.
pub(crate) struct Connected {
    pub(crate) conn: Conn,
    /// Clients for the pub/sub listener, one per URL (cluster seeds are tried in turn).
    pub(crate) clients: Vec<Client>,
    /// Passwords in the URLs, to be stripped from every error text.
    pub(crate) secrets: Vec<String>,
}

/// Connect to `urls` (one server, or seeds of one cluster), each step within `timeout`.
///
/// # Errors
/// [`Error::Config`] for a URL that does not parse; [`Error::Unavailable`] when the server
/// cannot be reached. Neither text contains a password.
pub(crate) async fn connect(urls: &[String], timeout: Duration) -> Result<Connected, Error> {
    // As written and percent-decoded (`p%40ss` is the password `p@ss`).
    let mut secrets: Vec<String> = urls.iter().filter_map(|u| password_of(u)).collect();
    let decoded: Vec<String> = secrets
        .iter()
        .filter_map(|s| crate::route::decode_segment(s))
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    secrets.extend(decoded);
    let mut clients = Vec::new();
    for u in urls {
        let c = Client::open(u.as_str()).map_err(|e| {
            Error::Config(format!(
                "bad Redis URL {}: {}; write it like redis://[:password@]host:port[/db]",
                redact(u, &secrets),
                redact(&e.to_string(), &secrets)
            ))
        })?;
        clients.push(c);
    }
    let Some(first) = clients.first().cloned() else {
        return Err(Error::Config("no Redis URL given".into()));
    };
    let fail = |e: RedisError| classify(e, &secrets);
    let probe = async {
        let mut c = first
            .get_multiplexed_async_connection_with_config(
                &redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(timeout)
                    .set_response_timeout(timeout),
            )
            .await?;
        redis::cmd("INFO")
            .arg("cluster")
            .query_async::<String>(&mut c)
            .await
    };
    let info = bounded(timeout, probe).await.map_err(|e| match e {
        Bounded::Timeout => unreachable_after(timeout),
        Bounded::Redis(e) => fail(e),
    })?;
    let conn = if info.contains("cluster_enabled:1") {
        let cluster = redis::cluster::ClusterClient::builder(urls.to_vec())
            .connection_timeout(timeout)
            .response_timeout(timeout)
            .retries(2)
            .build()
            .map_err(fail)?;
        Conn::Cluster(cluster.get_async_connection().await.map_err(fail)?)
    } else {
        let cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(timeout)
            .set_response_timeout(timeout)
            // Few, quick reconnect attempts in the background: while Redis is down,
            // requests must fail fast (503) rather than queue behind a long backoff.
            .set_number_of_retries(2)
            .set_factor(50)
            .set_max_delay(500);
        Conn::Single(
            ConnectionManager::new_with_config(first, cfg)
                .await
                .map_err(fail)?,
        )
    };
    Ok(Connected {
        conn,
        clients,
        secrets,
    })
}

fn unreachable_after(timeout: Duration) -> Error {
    Error::Unavailable(format!("Redis did not answer within {timeout:?}"))
}

enum Bounded {
    Timeout,
    Redis(RedisError),
}

async fn bounded<T>(
    timeout: Duration,
    f: impl std::future::Future<Output = Result<T, RedisError>>,
) -> Result<T, Bounded> {
    match tokio::time::timeout(timeout, f).await {
        Err(_) => Err(Bounded::Timeout),
        Ok(r) => r.map_err(Bounded::Redis),
    }
}

impl Conn {
    /// Run a script invocation, within `timeout`.
    pub(crate) async fn eval(
        &self,
        inv: &ScriptInvocation<'_>,
        timeout: Duration,
        secrets: &[String],
    ) -> Result<Value, Error> {
        let r = match self.clone() {
            Conn::Single(mut c) => bounded(timeout, inv.invoke_async(&mut c)).await,
            Conn::Cluster(mut c) => bounded(timeout, inv.invoke_async(&mut c)).await,
        };
        r.map_err(|e| match e {
            Bounded::Timeout => unreachable_after(timeout),
            Bounded::Redis(e) => classify(e, secrets),
        })
    }

    /// PING, within `timeout`.
    pub(crate) async fn ping(&self, timeout: Duration, secrets: &[String]) -> Result<(), Error> {
        let cmd = redis::cmd("PING");
        let r = match self.clone() {
            Conn::Single(mut c) => bounded(timeout, c.req_packed_command(&cmd)).await,
            Conn::Cluster(mut c) => bounded(timeout, c.req_packed_command(&cmd)).await,
        };
        r.map(|_| ()).map_err(|e| match e {
            Bounded::Timeout => unreachable_after(timeout),
            Bounded::Redis(e) => classify(e, secrets),
        })
    }
}

/// The password of a `redis://user:password@host` URL, if any.
fn password_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let auth = rest.split(['/', '?']).next()?.rsplit_once('@')?.0;
    let pw = auth.split_once(':')?.1;
    (!pw.is_empty()).then(|| pw.to_string())
}

/// Map a redis error to ours: out of memory is [`Error::Full`]; a reply of the wrong shape
/// is [`Error::Protocol`]; everything else (down, refused, loading, cluster reconfiguring,
/// timed out) is [`Error::Unavailable`].
pub(crate) fn classify(e: RedisError, secrets: &[String]) -> Error {
    let text = redact(&e.to_string(), secrets);
    if e.code() == Some("OOM") {
        return Error::Full(text);
    }
    match e.kind() {
        ErrorKind::TypeError | ErrorKind::ParseError | ErrorKind::CrossSlot => {
            Error::Protocol(text)
        }
        ErrorKind::ResponseError if text.contains("WRONGTYPE") || text.contains("herd pubsub") => {
            Error::Protocol(text)
        }
        _ => Error::Unavailable(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Passwords are found with and without a user name, and only there.
    #[test]
    fn passwords_in_urls() {
        assert_eq!(
            password_of("redis://:s3cret@h:1/0").as_deref(),
            Some("s3cret")
        );
        assert_eq!(password_of("redis://me:p@ss@h:1").as_deref(), Some("p@ss"));
        assert_eq!(password_of("redis://h:1"), None);
        assert_eq!(password_of("redis://me@h:1"), None);
        assert_eq!(
            password_of("rediss://u:pw@h/0?x=a@b").as_deref(),
            Some("pw")
        );
    }

    /// A URL that does not parse is a config error without the password in it.
    #[tokio::test]
    async fn bad_url_error_is_redacted() {
        let Err(e) = connect(&["nope://:hunter2@x".into()], Duration::from_secs(1)).await else {
            panic!("connected to a bad URL");
        };
        let t = e.to_string();
        assert!(
            matches!(e, Error::Config(_)) && !t.contains("hunter2"),
            "{t}"
        );
    }
}
