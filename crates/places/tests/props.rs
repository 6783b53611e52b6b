//! Offline queries never panic, never exceed the limit, and come nearest first.

use places::response::haversine_km;
use places::Gazetteer;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Any point, radius and limit.
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
}
