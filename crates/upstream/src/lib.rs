//! Fetching from services we do not control.
//!
//! One client behind a small API, [`Upstream::fetch`]`(request, deadline)`, that returns
//! either a [`Response`] or an [`UpstreamError`] whose [`ErrorKind`] says what went wrong
//! (connect, timeout, status, too large, invalid), so callers decide without matching on
//! strings. Around the client:
//!
//! - **Redundant providers**: several base URLs for the same data. Each has a moving
//!   average of its latency and a circuit breaker; the fastest healthy one is tried first.
//! - **Failover and retries only of transient failures** (connect refused or reset,
//!   timeout, 502/503/504, 429 with `Retry-After`), always within the caller's deadline;
//!   a 4xx is an answer, never retried.
//! - **Circuit breaker** per provider: after repeated failures it is skipped, then probed
//!   again by one request (half-open).
//! - **Bounds**: a response size limit, a header size limit and a deadline on every call.
//! - [`SingleFlight`]: concurrent requests for the same key share one fetch.
//!
//! No error text carries a URL path or query (an API key travels in the query): errors name
//! a provider by its origin only (`https://host:port`).
//!
//! # Layout
//! - [`config`]: [`UpstreamConfig`], limits, retry and breaker settings.
//! - [`error`]: [`UpstreamError`] and [`ErrorKind`].
//! - [`exchange`]: [`Request`] and [`Response`].
//! - [`breaker`]: [`Breaker`], the per-provider circuit breaker (pure, clock passed in).
//! - [`provider`]: [`Provider`], a base URL with its latency average and breaker; the
//!   fastest-first order.
//! - [`client`]: [`Upstream`], the fetch loop with failover (and an optional
//!   [`RetryGate`], a caller's budget for retries).
//! - `classify`: transient or not, `Retry-After`, reqwest errors as kinds.
//! - `retry_after`: the `Retry-After` header, as a wait.
//! - [`single_flight`](mod@single_flight): [`SingleFlight`], one fetch per key at a time.
//!
//! # Example
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! let up = upstream::Upstream::new(
//!     &["http://127.0.0.1:8001/api", "http://127.0.0.1:8002/api"],
//!     upstream::UpstreamConfig::default(),
//! )?;
//! let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
//! let resp = up.fetch(&upstream::Request::get("/restaurant/"), deadline).await?;
//! println!("{} from provider {}", resp.status, resp.provider);
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub mod breaker;
mod classify;
pub mod client;
pub mod config;
pub mod error;
pub mod exchange;
pub mod provider;
mod retry_after;
pub mod single_flight;

pub use breaker::{Breaker, BreakerState};
pub use client::{ProviderStatus, RetryGate, Upstream};
pub use config::UpstreamConfig;
pub use error::{ErrorKind, UpstreamError};
pub use exchange::{Request, Response};
pub use provider::Provider;
pub use single_flight::SingleFlight;
