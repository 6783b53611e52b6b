//! [`Gazetteer`]: the places and an R*-tree over them, answering radius queries.
//!
//! Points are stored on the unit sphere in 3-D. A great-circle radius is then a chord
//! length, so the tree's Euclidean range query finds exactly the right candidates with no
//! special cases at the poles or the antimeridian; candidates are then measured with the
//! haversine formula and sorted nearest first.

use std::sync::OnceLock;

use rstar::primitives::GeomWithData;
use rstar::RTree;

use super::data::{self, Place};
use crate::response::{haversine_km, EARTH_RADIUS_KM};
use crate::Error;

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

/// The process-wide gazetteer, or why it could not be decoded.
fn loaded() -> &'static Result<Gazetteer, (usize, String)> {
    static G: OnceLock<Result<Gazetteer, (usize, String)>> = OnceLock::new();
    G.get_or_init(|| match data::embedded() {
        Ok(places) => Ok(Gazetteer::from_places(places)),
        Err(Error::Gazetteer { line, reason }) => Err((line, reason)),
        Err(other) => Err((0, other.to_string())),
    })
}

impl Gazetteer {
    /// The embedded gazetteer, decoded and indexed on the first call (about 0.4 s), shared
    /// by every [`crate::Places`] in the process.
    ///
    /// # Errors
    /// [`Error::Gazetteer`] if the embedded data is damaged.
    pub fn try_global() -> Result<&'static Gazetteer, Error> {
        loaded()
            .as_ref()
            .map_err(|(line, reason)| Error::Gazetteer {
                line: *line,
                reason: reason.clone(),
            })
    }

    /// Like [`Gazetteer::try_global`], but an empty gazetteer (every answer
    /// `ZERO_RESULTS`) if the data is damaged; [`crate::Places::new`] reports that case.
    pub fn global() -> &'static Gazetteer {
        static EMPTY: OnceLock<Gazetteer> = OnceLock::new();
        match loaded() {
            Ok(g) => g,
            Err(_) => EMPTY.get_or_init(|| Gazetteer::from_places(Vec::new())),
        }
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
    /// its great-circle distance in km. A radius of zero or less, a non-finite input or a
    /// limit of zero finds nothing.
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
        // Widen the chord a hair so rounding never drops a point exactly on the circle;
        // the haversine filter below is the real test.
        let chord = 2.0 * (angle / 2.0).sin() * (1.0 + 1e-9) + 1e-12;
        let mut hits: Vec<(f64, &Place)> = self
            .tree
            .locate_within_distance(unit_vector(lat, lon), chord * chord)
            .filter_map(|pt| self.places.get(pt.data as usize))
            .map(|p| (haversine_km(lat, lon, p.lat, p.lon), p))
            .filter(|(d, _)| *d <= radius_km)
            .collect();
        // Ties (same distance) are broken by larger population, then source and id, so
        // answers are stable. Only the `limit` nearest are sorted: a 50 km query in a city
        // finds hundreds of places for a WHATSAT that wants at most 20.
        let order = |a: &(f64, &Place), b: &(f64, &Place)| {
            a.0.total_cmp(&b.0)
                .then(b.1.population.cmp(&a.1.population))
                .then((a.1.source, a.1.id).cmp(&(b.1.source, b.1.id)))
        };
        if hits.len() > limit {
            hits.select_nth_unstable_by(limit - 1, order);
            hits.truncate(limit);
        }
        hits.sort_unstable_by(order);
        hits
    }
}
