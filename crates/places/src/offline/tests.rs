use super::data::{parse_line, Interner};
use super::*;

fn g() -> &'static Gazetteer {
    match Gazetteer::try_global() {
        Ok(g) => g,
        Err(e) => panic!("embedded gazetteer: {e}"),
    }
}

fn place(line: &str) -> Place {
    parse_line(line, &mut Interner::default()).unwrap()
}

/// The whole embedded file parses, and it is dense.
#[test]
fn embedded_data_parses() {
    assert!(g().len() > 200_000, "{}", g().len());
}

/// A 10 km query in cities on every continent, and in small towns, finds places.
#[test]
fn ten_km_in_any_city() {
    let cities = [
        ("Los Angeles (UCLA)", 34.0689, -118.4452),
        ("Tokyo", 35.6812, 139.7671),
        ("Lagos", 6.5244, 3.3792),
        ("Sao Paulo", -23.5505, -46.6333),
        ("Sydney", -33.8688, 151.2093),
        ("Reykjavik", 64.1466, -21.9426),
        ("Mumbai", 19.0760, 72.8777),
        ("Nairobi", -1.2921, 36.8219),
        ("Winnemucca, Nevada (small town)", 40.9730, -117.7357),
        ("Marfa, Texas (small town)", 30.3094, -104.0206),
        ("Hallstatt, Austria (village)", 47.5622, 13.6493),
    ];
    for (name, lat, lon) in cities {
        let hits = g().within(lat, lon, 10.0, 20);
        assert!(!hits.is_empty(), "nothing within 10 km of {name}");
    }
}

/// Results are nearest first, within the radius, at most the limit; 50 km finds more.
#[test]
fn nearest_first_within_radius() {
    let hits = g().within(34.0689, -118.4452, 25.0, 15);
    assert_eq!(hits.len(), 15);
    assert!(hits.windows(2).all(|w| w[0].0 <= w[1].0));
    assert!(hits.iter().all(|(d, _)| *d <= 25.0));
    let all = g().within(34.0689, -118.4452, 50.0, usize::MAX);
    assert!(all.len() > 100, "{}", all.len());
    assert!(all.iter().all(|(d, _)| *d <= 50.0));
    assert_eq!(all[..15], hits[..]);
}

/// The middle of the ocean, radius 0, a negative radius and a limit of 0 find nothing.
#[test]
fn empty_answers() {
    assert!(g().within(-40.0, -120.0, 50.0, 20).is_empty());
    assert!(g().within(0.0, -30.0, 50.0, 20).is_empty());
    assert!(g().within(34.0689, -118.4452, 0.0, 20).is_empty());
    assert!(g().within(34.0689, -118.4452, -5.0, 20).is_empty());
    assert!(g().within(34.0689, -118.4452, 10.0, 0).is_empty());
    assert!(g().within(f64::NAN, 0.0, 10.0, 5).is_empty());
}

/// The poles and the antimeridian need no special cases.
#[test]
fn antimeridian_and_poles() {
    let small = Gazetteer::from_places(vec![
        place("East\t0.0\t179.99\tFJ\t\tPPL\t0\t1"),
        place("West\t0.0\t-179.99\tWS\t\tPPL\t0\t2"),
        place("Pole\t90.0\t0.0\tAQ\t\tPPL\t0\t3"),
    ]);
    let names: Vec<&str> = small
        .within(0.0, 180.0, 5.0, 5)
        .iter()
        .map(|(_, p)| p.name.as_str())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(small.within(89.99, 123.0, 5.0, 5).len(), 1);
}

/// Bad lines are rejected with the field that is wrong.
#[test]
fn bad_lines() {
    let mut s = Interner::default();
    assert!(parse_line("X\t1\t2\tUS\tCA\tPPL\t5", &mut s)
        .unwrap_err()
        .contains("geonames id"));
    assert!(parse_line("X\t91\t2\tUS\tCA\tPPL\t5\t1", &mut s).is_err());
    assert!(parse_line("\t1\t2\tUS\tCA\tPPL\t5\t1", &mut s).is_err());
    assert!(parse_line("X\tnorth\t2\tUS\tCA\tPPL\t5\t1", &mut s).is_err());
}

/// Result objects have the Google-like fields, ids and types from GeoNames.
#[test]
fn result_shape() {
    let r = &g().results(51.5074, -0.1278, 5.0, 1)[0];
    assert!(r["geometry"]["location"]["lat"].is_f64());
    assert!(r["name"].is_string() && r["vicinity"].is_string());
    assert!(r["place_id"].as_str().unwrap().starts_with("geonames:"));
    assert_eq!(r["types"][0], "locality");
    let tokyo = g().within(35.6895, 139.6917, 1.0, 20);
    let capital = tokyo.iter().find(|(_, p)| p.geonames_id == 1_850_147);
    let (_, capital) = capital.expect("Tokyo (geonames 1850147) within 1 km");
    assert_eq!(&*capital.feature_code, "PPLC");
    let r = capital.to_result();
    assert_eq!(
        r["types"],
        serde_json::json!(["locality", "political", "capital"])
    );
    assert_eq!(r["place_id"], "geonames:1850147");
    assert_eq!(r["vicinity"], "Tokyo, JP");
    let la = g().within(34.05223, -118.24368, 0.01, 1);
    assert_eq!(la[0].1.to_result()["vicinity"], "California, US");
}
