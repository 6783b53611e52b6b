//! What the remote providers share: one HTTP exchange with a deadline, classified.

use std::time::Duration;

use serde_json::Value;

use crate::NearbyResponse;

/// Send `req` and parse a JSON body, mapping every failure to a legacy-style status:
/// HTTP 429 → `OVER_QUERY_LIMIT`, 401/403 → `REQUEST_DENIED`, 400 → `INVALID_REQUEST`,
/// anything else (5xx, timeout, connection error, bad JSON) → `UNKNOWN_ERROR`.
pub(crate) async fn json(
    provider: &str,
    req: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<Value, NearbyResponse> {
    let fail =
        |status: &str, msg: String| NearbyResponse::failure(status, format!("{provider}: {msg}"));
    let exchange = async {
        let resp = req
            .send()
            .await
            .map_err(|e| fail("UNKNOWN_ERROR", describe(&e)))?;
        let code = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| fail("UNKNOWN_ERROR", describe(&e)))?;
        if !code.is_success() {
            let status = match code.as_u16() {
                429 => "OVER_QUERY_LIMIT",
                401 | 403 => "REQUEST_DENIED",
                400 => "INVALID_REQUEST",
                _ => "UNKNOWN_ERROR",
            };
            let snippet = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            return Err(fail(status, format!("HTTP {code}: {snippet}")));
        }
        serde_json::from_slice(&body).map_err(|e| fail("UNKNOWN_ERROR", format!("bad JSON: {e}")))
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(r) => r,
        Err(_) => Err(fail(
            "UNKNOWN_ERROR",
            format!("no answer within {timeout:?}"),
        )),
    }
}

/// What went wrong, in our words. Never reqwest's own text: it names the URL, and the
/// legacy Google endpoint carries the API key in the URL.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "the connection broke off mid-response"
    } else if e.is_redirect() {
        "too many redirects"
    } else if e.is_request() {
        "the request could not be sent"
    } else {
        "the request failed"
    };
    what.to_string()
}

/// The Google API key, or the failure to answer with (nothing is sent without one).
pub(crate) fn require_key<'k>(
    provider: &str,
    key: Option<&'k str>,
) -> Result<&'k str, NearbyResponse> {
    key.ok_or_else(|| {
        NearbyResponse::failure(
            "REQUEST_DENIED",
            format!("{provider}: no API key (set GOOGLE_PLACES_API_KEY)"),
        )
    })
}
