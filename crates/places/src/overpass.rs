//! The `overpass` provider: named OpenStreetMap nodes near the point, converted to the
//! legacy shape.

use std::time::Duration;

use http::header::{HeaderValue, CONTENT_TYPE};
use serde_json::{json, Value};
use upstream::Request;

use crate::remote::Remote;
use crate::{NearbyResponse, Query};

/// OSM keys whose value becomes the result's first type.
const KINDS: [&str; 5] = ["amenity", "tourism", "shop", "leisure", "place"];

/// The Overpass QL for named nodes of the interesting kinds within the radius.
pub(crate) fn query_text(q: &Query, timeout_secs: u64) -> String {
    let around = format!("around:{},{},{}", q.radius_m(), q.lat, q.lon);
    let mut s = format!("[out:json][timeout:{timeout_secs}];(");
    for k in KINDS {
        s.push_str(&format!("node({around})[name][{k}];"));
    }
    s.push_str(");out body 200;");
    s
}

/// The request for `q`: the query as a form field `data`, POSTed.
pub(crate) fn request(q: &Query, timeout: Duration) -> Request {
    let data = query_text(q, timeout.as_secs().max(1));
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("data", &data)
        .finish();
    Request::post("", body).header(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    )
}

/// POST the query and convert the elements.
pub(crate) async fn nearby(remote: &Remote, q: &Query) -> NearbyResponse {
    match remote.json(&request(q, remote.timeout())).await {
        // Overpass reports a query that ran out of time or memory as 200 with a remark.
        Ok(v) if v["remark"].as_str().is_some_and(|r| r.contains("error")) => {
            NearbyResponse::failure(
                "UNKNOWN_ERROR",
                format!("overpass: {}", v["remark"].as_str().unwrap_or("")),
            )
        }
        Ok(v) => NearbyResponse::found(
            convert(&v),
            vec!["© OpenStreetMap contributors, ODbL".to_string()],
        ),
        Err(fail) => fail,
    }
}

/// `{"elements": [...]}` to legacy result objects.
pub(crate) fn convert(v: &Value) -> Vec<Value> {
    let Some(elements) = v["elements"].as_array() else {
        return Vec::new();
    };
    elements
        .iter()
        .filter_map(|e| {
            let tags = &e["tags"];
            let name = tags["name"].as_str()?;
            let (lat, lng) = (e["lat"].as_f64()?, e["lon"].as_f64()?);
            let types: Vec<&str> = KINDS.iter().filter_map(|k| tags[*k].as_str()).collect();
            let street: Vec<&str> = ["addr:housenumber", "addr:street"]
                .iter()
                .filter_map(|k| tags[*k].as_str())
                .collect();
            let vicinity: Vec<String> = [
                Some(street.join(" ")),
                tags["addr:city"].as_str().map(String::from),
            ]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
            Some(json!({
                "geometry": { "location": { "lat": lat, "lng": lng } },
                "name": name,
                "place_id": format!("osm:node:{}", e["id"]),
                "types": types,
                "vicinity": vicinity.join(", "),
            }))
        })
        .collect()
}
