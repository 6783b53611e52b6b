//! One upstream fetch for a key, and storing what it brought.
//!
//! Always a `GET` (a `HEAD` from a client is answered from the same entry). When a stale
//! copy has validators the request is conditional (`If-None-Match`, `If-Modified-Since`);
//! a `304` then refreshes the stale entry's times and headers without a body transfer.
//! Runs inside the key's single flight, so concurrent clients share it.

use std::sync::Arc;

use cache::{clock, policy, Entry};
use http::header::{IF_MODIFIED_SINCE, IF_NONE_MATCH};
use tokio::time::Instant;
use upstream::UpstreamError;

use crate::Relay;

/// The outcome of a fetch, shared by every client waiting on it.
#[derive(Clone, Debug)]
pub enum Fetched {
    /// A new entry, stored.
    Stored(Arc<Entry>),
    /// The stale entry, confirmed by a 304 and stored with new times.
    Revalidated(Arc<Entry>),
    /// An answer that may not be stored (no-store, private, 5xx, other statuses).
    Uncached(Arc<upstream::Response>),
    /// No usable answer.
    Failed(UpstreamError),
}

impl Relay {
    /// Fetch `key`, conditionally if `stale` has validators, and store the result.
    pub(crate) async fn fetch_and_store(
        self: Arc<Self>,
        key: String,
        stale: Option<Arc<Entry>>,
    ) -> Fetched {
        let mut req = upstream::Request::get(key.clone());
        if let Some(e) = &stale {
            if let Some(v) = e.etag() {
                req.headers.insert(IF_NONE_MATCH, v.clone());
            }
            if let Some(v) = e.last_modified() {
                req.headers.insert(IF_MODIFIED_SINCE, v.clone());
            }
        }
        let deadline = Instant::now() + self.config().upstream_timeout;
        let resp = match self.upstream().fetch(&req, deadline).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(key = %key, error = %e, "upstream fetch failed");
                return Fetched::Failed(e);
            }
        };
        let now = clock::now_ms();
        let policy = &self.config().policy;
        if resp.status == 304 {
            if let Some(old) = stale {
                let merged = old.revalidated(&resp.headers, old.freshness);
                return match policy::freshness(merged.status, &merged.headers, now, policy) {
                    Some(f) => {
                        let e = Arc::new(merged.revalidated(&http::HeaderMap::new(), f));
                        self.cache().put(e.clone());
                        Fetched::Revalidated(e)
                    }
                    None => {
                        self.cache().remove(&key).await;
                        Fetched::Revalidated(Arc::new(merged))
                    }
                };
            }
        }
        match policy::freshness(resp.status, &resp.headers, now, policy) {
            Some(f) => {
                let e = Arc::new(Entry::new(key, resp.status, &resp.headers, resp.body, f));
                self.cache().put(e.clone());
                Fetched::Stored(e)
            }
            None => {
                // A 2xx that may not be stored replaces nothing; a stale copy stays for
                // stale-if-error only when this answer is a failure.
                if resp.status < 500 && stale.is_some() {
                    self.cache().remove(&key).await;
                }
                Fetched::Uncached(Arc::new(resp))
            }
        }
    }
}
