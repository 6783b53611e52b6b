//! [`Request`] and [`Response`]: one exchange with a provider, relative to its base URL.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};

/// A request to send to whichever provider is tried: a path and query relative to the
/// provider's base URL, and extra headers (conditional validators, a JSON body's type).
///
/// Its `Debug` shows the path but not the query or the body, and header values marked
/// sensitive ([`HeaderValue::set_sensitive`]) as `Sensitive`: an API key travels in one
/// of those, and a request may end up in a log line.
#[derive(Clone)]
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

    /// Add a header whose value is a secret (an API key): marked sensitive, so `Debug`
    /// shows it as `Sensitive` (and HTTP/2 never indexes it).
    pub fn secret_header(self, name: HeaderName, mut value: HeaderValue) -> Request {
        value.set_sensitive(true);
        self.header(name, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Neither the query nor a secret header nor the body shows in `Debug`.
    #[test]
    fn debug_hides_secrets() {
        let r = Request::post("/v1/search?key=SECRET1", "SECRET2 body").secret_header(
            HeaderName::from_static("x-api-key"),
            HeaderValue::from_static("SECRET3"),
        );
        let shown = format!("{r:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(
            shown.contains("/v1/search") && shown.contains("x-api-key"),
            "{shown}"
        );
        assert!(format!("{:?}", Request::get("")).contains("query_bytes: 0"));
    }
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path_and_query.split('?').next().unwrap_or_default();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &path)
            .field("query_bytes", &(self.path_and_query.len() - path.len()))
            .field("headers", &self.headers)
            .field("body_bytes", &self.body.len())
            .finish()
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
