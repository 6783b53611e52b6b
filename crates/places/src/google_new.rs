//! The `google-new` provider: Places API (New) `places:searchNearby`, converted to the
//! legacy shape.

use serde_json::{json, Value};

use crate::{remote, NearbyResponse, Query};

const FIELD_MASK: &str = "places.id,places.displayName,places.location,places.types,\
places.formattedAddress,places.shortFormattedAddress";

/// Ask searchNearby and convert each place.
pub(crate) async fn nearby(
    http: &reqwest::Client,
    url: &str,
    key: Option<&str>,
    q: &Query,
    timeout: std::time::Duration,
) -> NearbyResponse {
    let key = match remote::require_key("google-new", key) {
        Ok(k) => k,
        Err(fail) => return fail,
    };
    let body = json!({
        "maxResultCount": q.limit.clamp(1, 20),
        "locationRestriction": { "circle": {
            "center": { "latitude": q.lat, "longitude": q.lon },
            "radius": q.radius_m(),
        }},
    });
    let req = http
        .post(url)
        .header("X-Goog-Api-Key", key)
        .header("X-Goog-FieldMask", FIELD_MASK)
        .json(&body);
    match remote::json("google-new", req, timeout).await {
        Ok(v) => NearbyResponse::found(convert(&v), Vec::new()),
        Err(fail) => fail,
    }
}

/// `{"places": [...]}` (or `{}` for none) to legacy result objects.
pub(crate) fn convert(v: &Value) -> Vec<Value> {
    let Some(places) = v["places"].as_array() else {
        return Vec::new();
    };
    places
        .iter()
        .filter_map(|p| {
            let lat = p["location"]["latitude"].as_f64()?;
            let lng = p["location"]["longitude"].as_f64()?;
            let vicinity = p["shortFormattedAddress"]
                .as_str()
                .or_else(|| p["formattedAddress"].as_str())
                .unwrap_or("");
            Some(json!({
                "geometry": { "location": { "lat": lat, "lng": lng } },
                "name": p["displayName"]["text"].as_str().unwrap_or(""),
                "place_id": p["id"].as_str().unwrap_or(""),
                "types": p["types"].as_array().cloned().unwrap_or_default(),
                "vicinity": vicinity,
            }))
        })
        .collect()
}
