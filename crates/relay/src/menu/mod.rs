//! `herd menu-api`: a local stand-in for the lunch-menu API the relay fronts.
//!
//! It serves a bundled sample written for this project (a dozen restaurants on two
//! campuses, with dishes; [`data`]) in the shape of the real API:
//! - `GET /api/restaurant/` → `{"restaurants": [{"campus", "identifier", "menu_url",
//!   "name", "osm", "url"}, ...]}`
//! - `GET /api/restaurant/<id>/` → `{"restaurant": {"title", "location", "url",
//!   "map_url", "menu": [{"dish": ...}, ...]}}`
//! - an unknown id or path → 404 with a JSON body.
//!
//! Answers carry `Cache-Control: max-age=N` and an `ETag` (and honour `If-None-Match`
//! with a 304), so the relay's freshness and revalidation can be seen. `--delay` makes
//! every answer slow and `--fail-rate` makes a share of them fail with 503, to show the
//! relay's stale serving, failover and breaker live.
//!
//! # Layout
//! - [`data`]: the sample, pre-rendered to JSON once.
//! - [`server`](mod@server): [`run`], routing, delay and failures.

pub mod data;
pub mod server;

pub use server::{run, MenuConfig};
