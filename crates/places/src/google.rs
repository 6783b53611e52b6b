//! The `google` provider: legacy Nearby Search (a GET with the key in the query), passed
//! through.

use serde_json::Value;
use upstream::Request;

use crate::remote::{self, Remote};
use crate::{NearbyResponse, Query};

/// The request for `q`: `?location=lat,lon&radius=m&key=...` on the configured endpoint.
pub(crate) fn request(key: &str, q: &Query) -> Request {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("location", &format!("{},{}", q.lat, q.lon))
        .append_pair("radius", &q.radius_m().to_string())
        .append_pair("key", key)
        .finish();
    Request::get(format!("?{query}"))
}

/// Ask the legacy endpoint; its JSON is already the shape we answer in.
pub(crate) async fn nearby(remote: &Remote, key: Option<&str>, q: &Query) -> NearbyResponse {
    let key = match remote::require_key("google", key) {
        Ok(k) => k,
        Err(fail) => return fail,
    };
    match remote.json(&request(key, q)).await {
        Ok(v) => answer(&v),
        Err(fail) => fail,
    }
}

/// Google's JSON as a [`NearbyResponse`]; a status other than `OK`/`ZERO_RESULTS` is a
/// failure with Google's `error_message`.
fn answer(v: &Value) -> NearbyResponse {
    let status = v["status"].as_str().unwrap_or("UNKNOWN_ERROR").to_string();
    let results = match v.get("results") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let attributions = match v.get("html_attributions") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|s| s.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    NearbyResponse {
        html_attributions: attributions,
        results,
        error_message: match status.as_str() {
            "OK" | "ZERO_RESULTS" => None,
            _ => Some(format!(
                "google: {}",
                v["error_message"].as_str().unwrap_or(status.as_str())
            )),
        },
        status,
    }
}
