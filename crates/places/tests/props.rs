//! Offline queries never panic, never exceed the limit, and come nearest first, both on
//! the index and through `Places::nearby`.

use places::response::haversine_km;
use places::{Gazetteer, Places, PlacesConfig};
use proptest::prelude::*;

fn distances(lat: f64, lon: f64, results: &[serde_json::Value]) -> Vec<f64> {
    results
        .iter()
        .map(|r| {
            let loc = &r["geometry"]["location"];
            haversine_km(
                lat,
                lon,
                loc["lat"].as_f64().unwrap(),
                loc["lng"].as_f64().unwrap(),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Any point, radius and limit, on the index.
    #[test]
    fn offline_queries_are_sane(lat in -90.0f64..=90.0, lon in -180.0f64..=180.0, r in -1.0f64..60.0, limit in 0usize..30) {
        let hits = Gazetteer::global().within(lat, lon, r, limit);
        prop_assert!(hits.len() <= limit);
        prop_assert!(hits.windows(2).all(|w| w[0].0 <= w[1].0));
        for (d, p) in &hits {
            prop_assert!(*d <= r + 1e-9);
            prop_assert!((haversine_km(lat, lon, p.lat, p.lon) - d).abs() < 1e-9);
        }
    }

    /// Any input at all, including NaN and infinities, through `Places::nearby`.
    #[test]
    fn nearby_never_panics(lat in prop::num::f64::ANY, lon in -200.0f64..200.0, r in prop::num::f64::ANY, limit in 0usize..25) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let places = Places::new(PlacesConfig::default()).unwrap();
        let answer = rt.block_on(places.nearby(lat, lon, r, limit));
        prop_assert!(answer.results.len() <= limit);
        prop_assert!(["OK", "ZERO_RESULTS", "INVALID_REQUEST"].contains(&answer.status.as_str()));
        let d = distances(lat, lon, &answer.results);
        prop_assert!(d.windows(2).all(|w| w[0] <= w[1]));
        prop_assert!(d.iter().all(|d| *d <= r + 1e-6));
    }

    /// Realistic WHATSAT inputs through `Places::nearby`, with the cache on.
    #[test]
    fn nearby_whatsat_range(lat in -90.0f64..=90.0, lon in -180.0f64..=180.0, r in 0.0f64..=50.0, limit in 0usize..=20) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let places = Places::new(PlacesConfig::default()).unwrap();
        let answer = rt.block_on(places.nearby(lat, lon, r, limit));
        prop_assert!(answer.results.len() <= limit);
        prop_assert_eq!(answer.status == "OK", !answer.results.is_empty());
        let d = distances(lat, lon, &answer.results);
        prop_assert!(d.windows(2).all(|w| w[0] <= w[1]));
    }
}
