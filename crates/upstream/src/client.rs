//! [`Upstream`]: the fetch loop with failover across redundant providers.
//!
//! One `fetch` tries providers in [`crate::provider::order`] (fastest healthy first),
//! each attempt bounded by the caller's deadline. A transient failure (connect refused or
//! reset, timeout, 502/503/504, 429 with `Retry-After`) counts against that provider's
//! breaker and moves on to the next; once every provider has been tried, the round starts
//! again after a backoff (or the `Retry-After` asked for), while attempts and time remain.
//! Anything else (any other status, 4xx included) is the answer and is returned at once.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::BytesMut;
use http::header::CONTENT_LENGTH;
use tokio::time::Instant;

use crate::classify::{classify, retry_after, transient_status};
use crate::provider::{order, Provider};
use crate::{BreakerState, ErrorKind, Request, Response, UpstreamConfig, UpstreamError};

/// Called after every attempt: provider origin, time taken, and the failure kind if it
/// failed (a metrics hook).
pub type Observer = Arc<dyn Fn(&str, Duration, Option<ErrorKind>) + Send + Sync>;

/// Asked before every attempt after the first (a retry, or failover to another provider):
/// `false` ends the fetch with the failure in hand. A caller's request budget, such as a
/// per-API rate limit that retries must not get around.
pub type RetryGate = Arc<dyn Fn() -> bool + Send + Sync>;

/// A provider's health, for metrics and `/health`.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderStatus {
    /// `scheme://host:port`.
    pub origin: String,
    /// Breaker state now.
    pub state: BreakerState,
    /// Moving average of exchange times in seconds, once measured.
    pub latency: Option<f64>,
    /// Consecutive transient failures.
    pub failures: u32,
}

/// Why an [`Upstream`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No provider URL was given.
    #[error("no upstream URL given")]
    NoProviders,
    /// A provider URL is not an absolute http(s) URL with a host.
    #[error("upstream #{index} ({shown}) is not an http:// or https:// URL with a host")]
    BadUrl {
        /// 1-based position in the list.
        index: usize,
        /// The URL's scheme and host part when readable, never its path or query.
        shown: String,
    },
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot set up the HTTP client")]
    Client,
}

/// Redundant providers behind one pooled HTTP client (rustls, keep-alive).
pub struct Upstream {
    providers: Mutex<Vec<Provider>>,
    http: reqwest::Client,
    cfg: UpstreamConfig,
    observer: Option<Observer>,
    retry_gate: Option<RetryGate>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("providers", &self.origins())
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// Providers for `bases` (each an http(s) URL; a trailing `/` is dropped), tried
    /// fastest first.
    ///
    /// # Errors
    /// [`ConfigError`] for an empty list or a URL that is not http(s) with a host.
    pub fn new<S: AsRef<str>>(bases: &[S], cfg: UpstreamConfig) -> Result<Upstream, ConfigError> {
        if bases.is_empty() {
            return Err(ConfigError::NoProviders);
        }
        let mut providers = Vec::with_capacity(bases.len());
        for (i, base) in bases.iter().enumerate() {
            let base = base.as_ref().trim_end_matches('/');
            let bad = || ConfigError::BadUrl {
                index: i + 1,
                shown: base.split(['/', '?']).take(3).collect::<Vec<_>>().join("/"),
            };
            let url = reqwest::Url::parse(base).map_err(|_| bad())?;
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                return Err(bad());
            }
            let origin = url.origin().ascii_serialization();
            providers.push(Provider::new(base.to_string(), origin, &cfg));
        }
        let http = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .connect_timeout(cfg.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|_| ConfigError::Client)?;
        Ok(Upstream {
            providers: Mutex::new(providers),
            http,
            cfg,
            observer: None,
            retry_gate: None,
        })
    }

    /// Call `observer` after every attempt (for latency histograms per provider).
    pub fn with_observer(mut self, observer: Observer) -> Upstream {
        self.observer = Some(observer);
        self
    }

    /// Ask `gate` before every attempt after the first; when it says no, the fetch ends
    /// with the last failure (see [`RetryGate`]).
    pub fn with_retry_gate(mut self, gate: RetryGate) -> Upstream {
        self.retry_gate = Some(gate);
        self
    }

    /// The providers' origins, in the order given.
    pub fn origins(&self) -> Vec<String> {
        self.lock().iter().map(|p| p.origin.clone()).collect()
    }

    /// Every provider's health now.
    pub fn status(&self) -> Vec<ProviderStatus> {
        let now = Instant::now();
        self.lock()
            .iter()
            .map(|p| ProviderStatus {
                origin: p.origin.clone(),
                state: p.breaker.state(now),
                latency: p.latency,
                failures: p.breaker.failures(),
            })
            .collect()
    }

    /// The settings in use.
    pub fn config(&self) -> &UpstreamConfig {
        &self.cfg
    }

    // The lock is never held across an await, so a std Mutex; a poisoned one (a panic
    // while updating plain numbers) still holds usable numbers.
    fn lock(&self) -> MutexGuard<'_, Vec<Provider>> {
        self.providers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Fetch `req` from the fastest healthy provider, failing over on transient failures,
    /// all before `deadline`.
    ///
    /// # Errors
    /// The last failure, as an [`UpstreamError`]: [`ErrorKind::Unavailable`] when every
    /// breaker is open, [`ErrorKind::Timeout`] when the deadline passed.
    pub async fn fetch(&self, req: &Request, deadline: Instant) -> Result<Response, UpstreamError> {
        let order = order(&self.lock(), Instant::now());
        if order.is_empty() {
            return Err(UpstreamError::Unavailable);
        }
        let mut last: Option<UpstreamError> = None;
        for attempt in 0..self.cfg.max_attempts.max(1) {
            let idx = order[attempt % order.len()];
            let round = attempt / order.len();
            if round > 0 {
                let wait = match last.as_ref().and_then(retry_after) {
                    Some(ra) if ra > self.cfg.max_retry_after => break,
                    Some(ra) => ra,
                    None => self.cfg.backoff * 2u32.saturating_pow(round as u32 - 1),
                };
                if Instant::now() + wait >= deadline {
                    break;
                }
                tokio::time::sleep(wait).await;
            }
            // Asked after the backoff, so a budget that refills over time sees the wait.
            if attempt > 0 && self.retry_gate.as_ref().is_some_and(|gate| !gate()) {
                break;
            }
            let (base, origin) = {
                let mut p = self.lock();
                if !p[idx].breaker.try_acquire(Instant::now()) {
                    continue;
                }
                (p[idx].base.clone(), p[idx].origin.clone())
            };
            let started = Instant::now();
            let result =
                match tokio::time::timeout_at(deadline, self.attempt(idx, &base, &origin, req))
                    .await
                {
                    Ok(r) => r,
                    Err(_) => Err(UpstreamError::Timeout {
                        provider: origin.clone(),
                    }),
                };
            let took = started.elapsed();
            let result = result.and_then(|resp| match transient_status(&resp) {
                true => Err(UpstreamError::Status {
                    provider: origin.clone(),
                    response: Box::new(resp),
                }),
                false => Ok(resp),
            });
            self.record(idx, &origin, took, &result);
            match result {
                Ok(resp) => return Ok(resp),
                Err(e) if !e.is_transient() => return Err(e),
                Err(e) => {
                    tracing::debug!(provider = %origin, error = %e, "upstream attempt failed");
                    last = Some(e);
                }
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        Err(last.unwrap_or_else(|| UpstreamError::Timeout {
            provider: self.lock()[order[0]].origin.clone(),
        }))
    }

    fn record(
        &self,
        idx: usize,
        origin: &str,
        took: Duration,
        r: &Result<Response, UpstreamError>,
    ) {
        {
            let mut p = self.lock();
            let p = &mut p[idx];
            match r {
                Ok(_) => {
                    p.breaker.on_success();
                    p.observe(took, self.cfg.latency_alpha);
                }
                Err(e) if e.is_transient() => p.breaker.on_failure(Instant::now()),
                // Reachable but answered junk: not the breaker's business.
                Err(_) => p.breaker.on_success(),
            }
        }
        if let Some(obs) = &self.observer {
            obs(origin, took, r.as_ref().err().map(UpstreamError::kind));
        }
    }

    /// One exchange with one provider, body read to the end within the limits.
    async fn attempt(
        &self,
        idx: usize,
        base: &str,
        origin: &str,
        req: &Request,
    ) -> Result<Response, UpstreamError> {
        let url = format!("{base}{}", req.path_and_query);
        let mut builder = self
            .http
            .request(req.method.clone(), url)
            .headers(req.headers.clone());
        if !req.body.is_empty() {
            builder = builder.body(req.body.clone());
        }
        let mut resp = builder.send().await.map_err(|e| classify(&e, origin))?;
        let status = resp.status().as_u16();
        let headers = std::mem::take(resp.headers_mut());
        let head_bytes: usize = headers
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 4)
            .sum();
        if head_bytes > self.cfg.max_header_bytes {
            return Err(UpstreamError::Invalid {
                provider: origin.to_string(),
                reason: "headers too large",
            });
        }
        let limit = self.cfg.max_body_bytes;
        let too_large = || UpstreamError::TooLarge {
            provider: origin.to_string(),
            limit,
        };
        let declared = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = BytesMut::with_capacity(declared.unwrap_or(0));
        // A body that breaks off (reset, closed before Content-Length) is a transport
        // failure another try may get past; reqwest reports it as a decode error, and no
        // decompression is enabled that could make it anything else.
        let broken = || UpstreamError::Connect {
            provider: origin.to_string(),
        };
        while let Some(chunk) = resp.chunk().await.map_err(|_| broken())? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body: exact(body),
            provider: idx,
        })
    }
}

/// The body as `Bytes` holding no more than an eighth of spare capacity. A body without
/// `Content-Length` grows by doubling, and a cache keeping it would keep the spare half
/// too; one copy of such a body costs less than holding it.
fn exact(body: BytesMut) -> bytes::Bytes {
    if body.capacity() - body.len() > body.len() / 8 {
        bytes::Bytes::copy_from_slice(&body)
    } else {
        body.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body read without Content-Length keeps no spare capacity; an exact one is not
    /// copied.
    #[test]
    fn bodies_are_exact() {
        let mut grown = BytesMut::new();
        for _ in 0..100 {
            grown.extend_from_slice(b"0123456789");
        }
        assert!(grown.capacity() > 1000 + 125);
        let b = exact(grown);
        assert_eq!(b.len(), 1000);
        let v: Vec<u8> = b.into();
        assert!(v.capacity() <= 1000 + 125, "{}", v.capacity());
        let mut sized = BytesMut::with_capacity(1000);
        sized.extend_from_slice(&[b'x'; 1000]);
        let at = sized.as_ptr();
        assert_eq!(exact(sized).as_ptr(), at);
    }

    /// Bad provider URLs are refused without echoing their path or query.
    #[test]
    fn bad_urls() {
        let cfg = UpstreamConfig::default();
        assert!(matches!(
            Upstream::new::<&str>(&[], cfg.clone()),
            Err(ConfigError::NoProviders)
        ));
        let e = Upstream::new(&["ftp://h/x?key=SECRET"], cfg.clone()).unwrap_err();
        assert!(!e.to_string().contains("SECRET"), "{e}");
        assert!(Upstream::new(&["not a url"], cfg.clone()).is_err());
        let up = Upstream::new(&["http://127.0.0.1:9/api/"], cfg).unwrap();
        assert_eq!(up.origins(), vec!["http://127.0.0.1:9".to_string()]);
    }
}
