//! The bundled sample menus, rendered once into the API's two JSON shapes.

use std::collections::HashMap;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;

/// The sample as shipped in the binary.
const SAMPLE: &str = include_str!("sample.json");

#[derive(Deserialize)]
struct Sample {
    restaurants: Vec<Restaurant>,
}

#[derive(Deserialize)]
struct Restaurant {
    campus: String,
    identifier: String,
    name: String,
    dishes: Vec<String>,
}

/// A rendered document and its ETag.
#[derive(Clone, Debug)]
pub struct Doc {
    /// JSON body.
    pub body: Bytes,
    /// Quoted strong validator (CRC-32 of the body).
    pub etag: String,
}

impl Doc {
    fn new(v: serde_json::Value) -> Doc {
        let body = Bytes::from(v.to_string());
        let etag = format!("\"{:08x}\"", crc32(&body));
        Doc { body, etag }
    }
}

/// The list and each restaurant's document.
#[derive(Clone, Debug)]
pub struct Menus {
    /// `GET /api/restaurant/`.
    pub list: Doc,
    /// `GET /api/restaurant/<id>/`, by id.
    pub by_id: HashMap<String, Doc>,
}

impl Menus {
    /// Render the bundled sample.
    ///
    /// # Errors
    /// A message if the bundled JSON is damaged (a build defect, tested below).
    pub fn bundled() -> Result<Menus, String> {
        let sample: Sample =
            serde_json::from_str(SAMPLE).map_err(|e| format!("bundled menu sample: {e}"))?;
        let mut list = Vec::new();
        let mut by_id = HashMap::new();
        for r in &sample.restaurants {
            let url = format!(
                "https://lunch.example.org/{}/{}",
                r.campus.to_lowercase(),
                r.identifier
            );
            let osm = format!(
                "https://www.openstreetmap.org/search?query={}%2C%20{}",
                r.name.replace(' ', "%20"),
                r.campus
            );
            list.push(json!({
                "campus": r.campus,
                "identifier": r.identifier,
                "menu_url": format!("{url}/menu"),
                "name": r.name,
                "osm": osm,
                "url": url,
            }));
            let menu: Vec<_> = r.dishes.iter().map(|d| json!({ "dish": d })).collect();
            by_id.insert(
                r.identifier.clone(),
                Doc::new(json!({ "restaurant": {
                    "title": r.name,
                    "location": r.campus,
                    "url": url,
                    "map_url": osm,
                    "menu": menu,
                }})),
            );
        }
        Ok(Menus {
            list: Doc::new(json!({ "restaurants": list })),
            by_id,
        })
    }
}

/// CRC-32 (IEEE), bitwise: a few kilobytes once at start, no dependency needed.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample renders: a dozen restaurants on two campuses, each with dishes.
    #[test]
    fn sample_renders() {
        let m = Menus::bundled().unwrap();
        let list: serde_json::Value = serde_json::from_slice(&m.list.body).unwrap();
        let rs = list["restaurants"].as_array().unwrap();
        assert_eq!(rs.len(), 12);
        let campuses: std::collections::BTreeSet<_> =
            rs.iter().map(|r| r["campus"].as_str().unwrap()).collect();
        assert_eq!(campuses.len(), 2);
        for r in rs {
            for k in ["campus", "identifier", "menu_url", "name", "osm", "url"] {
                assert!(r[k].is_string(), "{k}");
            }
            let id = r["identifier"].as_str().unwrap();
            let d: serde_json::Value = serde_json::from_slice(&m.by_id[id].body).unwrap();
            assert!(!d["restaurant"]["menu"].as_array().unwrap().is_empty());
            assert!(d["restaurant"]["menu"][0]["dish"].is_string());
        }
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
