//! [`NearbyResponse`], the legacy Nearby Search shape every provider answers in.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Mean Earth radius in km, as used for great-circle distances.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Google's legacy Nearby Search response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NearbyResponse {
    /// Attributions to display with the results.
    pub html_attributions: Vec<String>,
    /// Result objects: `geometry.location`, `name`, `place_id`, `types`, `vicinity`.
    pub results: Vec<Value>,
    /// `OK`, `ZERO_RESULTS`, or a failure such as `OVER_QUERY_LIMIT`.
    pub status: String,
    /// What went wrong, on failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

impl NearbyResponse {
    /// `OK` with these results, or `ZERO_RESULTS` if there are none.
    pub fn found(results: Vec<Value>, html_attributions: Vec<String>) -> Self {
        let status = if results.is_empty() {
            "ZERO_RESULTS"
        } else {
            "OK"
        };
        NearbyResponse {
            html_attributions,
            results,
            status: status.into(),
            error_message: None,
        }
    }

    /// A failure with `status` and a message.
    pub fn failure(status: &str, message: impl Into<String>) -> Self {
        NearbyResponse {
            html_attributions: Vec::new(),
            results: Vec::new(),
            status: status.into(),
            error_message: Some(message.into()),
        }
    }

    /// Whether this is an answer (`OK` or `ZERO_RESULTS`) rather than a failure.
    pub fn is_answer(&self) -> bool {
        self.status == "OK" || self.status == "ZERO_RESULTS"
    }

    /// Sort results nearest first from (lat, lon) (results without a location last), keep at
    /// most `limit`, and fix the status to match.
    pub fn nearest_first(mut self, lat: f64, lon: f64, limit: usize) -> Self {
        let dist = |v: &Value| {
            let loc = &v["geometry"]["location"];
            match (loc["lat"].as_f64(), loc["lng"].as_f64()) {
                (Some(a), Some(b)) => haversine_km(lat, lon, a, b),
                _ => f64::INFINITY,
            }
        };
        let mut keyed: Vec<(f64, Value)> =
            self.results.into_iter().map(|v| (dist(&v), v)).collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        keyed.truncate(limit);
        self.results = keyed.into_iter().map(|(_, v)| v).collect();
        if self.is_answer() {
            self.status = if self.results.is_empty() {
                "ZERO_RESULTS"
            } else {
                "OK"
            }
            .into();
        }
        self
    }
}

/// Great-circle distance in km.
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Known distances, and sorting keeps the nearest within the limit.
    #[test]
    fn distances_and_order() {
        let d = haversine_km(34.0522, -118.2437, 40.7128, -74.0060);
        assert!((d - 3936.0).abs() < 10.0, "{d}");
        let at = |lat: f64, name: &str| json!({"name": name, "geometry": {"location": {"lat": lat, "lng": 0.0}}});
        let r = NearbyResponse::found(
            vec![at(3.0, "far"), json!({"name": "nowhere"}), at(1.0, "near")],
            vec![],
        )
        .nearest_first(0.0, 0.0, 2);
        let names: Vec<&str> = r
            .results
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["near", "far"]);
        assert_eq!(
            NearbyResponse::found(vec![at(1.0, "x")], vec![])
                .nearest_first(0.0, 0.0, 0)
                .status,
            "ZERO_RESULTS"
        );
    }
}
