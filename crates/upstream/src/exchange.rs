//! [`Request`] and [`Response`]: one exchange with a provider, relative to its base URL.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};

/// A request to send to whichever provider is tried: a path and query relative to the
/// provider's base URL, and extra headers (conditional validators, a JSON body's type).
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET` unless set otherwise.
    pub method: Method,
    /// Path and query appended to the provider's base URL, starting with `/`
    /// (e.g. `/restaurant/?x=1`); empty for the base URL itself.
    pub path_and_query: String,
    /// Headers sent as given.
    pub headers: HeaderMap,
    /// Request body (empty for GET).
    pub body: Bytes,
}

impl Request {
    /// A GET of `path_and_query` with no extra headers.
    pub fn get(path_and_query: impl Into<String>) -> Request {
        Request {
            method: Method::GET,
            path_and_query: path_and_query.into(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// A POST of `body` to `path_and_query`.
    pub fn post(path_and_query: impl Into<String>, body: impl Into<Bytes>) -> Request {
        Request {
            method: Method::POST,
            body: body.into(),
            ..Request::get(path_and_query)
        }
    }

    /// Add a header (builder style).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Request {
        self.headers.append(name, value);
        self
    }
}

/// A complete answer from a provider.
#[derive(Clone, Debug)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The whole body (bounded by [`crate::UpstreamConfig::max_body_bytes`]).
    pub body: Bytes,
    /// Index of the provider that answered, in the order given to [`crate::Upstream::new`].
    pub provider: usize,
}
