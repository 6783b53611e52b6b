//! The `google` provider: legacy Nearby Search, passed through.

use serde_json::Value;

use crate::{remote, NearbyResponse, Query};

/// Ask the legacy endpoint; its JSON is already the shape we answer in.
pub(crate) async fn nearby(
    http: &reqwest::Client,
    base_url: &str,
    key: Option<&str>,
    q: &Query,
    timeout: std::time::Duration,
) -> NearbyResponse {
    let key = match remote::require_key("google", key) {
        Ok(k) => k,
        Err(fail) => return fail,
    };
    let req = http.get(base_url).query(&[
        ("location", format!("{},{}", q.lat, q.lon)),
        ("radius", format!("{}", q.radius_m())),
        ("key", key.to_string()),
    ]);
    let v = match remote::json("google", req, timeout).await {
        Ok(v) => v,
        Err(fail) => return fail,
    };
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
