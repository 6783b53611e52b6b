//! The `google-new` provider: Places API (New) `places:searchNearby`, converted to the
//! legacy shape.

use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use serde_json::{json, Value};
use upstream::Request;

use crate::remote::{self, Remote};
use crate::{NearbyResponse, Query};

const FIELD_MASK: &str = "places.id,places.displayName,places.location,places.types,\
places.formattedAddress,places.shortFormattedAddress";

/// The request for `q`: a JSON POST with the key in `X-Goog-Api-Key` (marked sensitive,
/// so it never shows in a `Debug`) and the field mask.
///
/// # Errors
/// `REQUEST_DENIED` when the key cannot be a header value (never quoting it).
pub(crate) fn request(key: &str, q: &Query) -> Result<Request, NearbyResponse> {
    let body = json!({
        "maxResultCount": q.limit.clamp(1, 20),
        "locationRestriction": { "circle": {
            "center": { "latitude": q.lat, "longitude": q.lon },
            "radius": q.radius_m(),
        }},
    });
    let key = HeaderValue::from_str(key).map_err(|_| {
        NearbyResponse::failure(
            "REQUEST_DENIED",
            "google-new: the API key holds characters a header cannot carry",
        )
    })?;
    Ok(Request::post("", body.to_string())
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .secret_header(HeaderName::from_static("x-goog-api-key"), key)
        .header(
            HeaderName::from_static("x-goog-fieldmask"),
            HeaderValue::from_static(FIELD_MASK),
        ))
}

/// Ask searchNearby and convert each place.
pub(crate) async fn nearby(remote: &Remote, key: Option<&str>, q: &Query) -> NearbyResponse {
    let key = match remote::require_key("google-new", key) {
        Ok(k) => k,
        Err(fail) => return fail,
    };
    let req = match request(key, q) {
        Ok(r) => r,
        Err(fail) => return fail,
    };
    match remote.json(&req).await {
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
