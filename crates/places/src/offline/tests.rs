use super::data::parse_line;
use super::*;

fn g() -> &'static Gazetteer {
    Gazetteer::global()
}

/// The bundled data is dense: a 10 km query in cities on every continent finds places.
#[test]
fn ten_km_in_any_city() {
    assert!(g().len() > 150_000, "{}", g().len());
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
    ];
    for (name, lat, lon) in cities {
        let hits = g().within(lat, lon, 10.0, 20);
        assert!(!hits.is_empty(), "nothing within 10 km of {name}");
    }
}

/// Results are nearest first, within the radius, and at most the limit.
#[test]
fn nearest_first_within_radius() {
    let hits = g().within(34.0689, -118.4452, 25.0, 15);
    assert_eq!(hits.len(), 15);
    assert!(hits.windows(2).all(|w| w[0].0 <= w[1].0));
    assert!(hits.iter().all(|(d, _)| *d <= 25.0));
    let all = g().within(34.0689, -118.4452, 50.0, usize::MAX);
    assert!(all.len() > 15);
}

/// The middle of the ocean, radius 0 and a limit of 0 find nothing.
#[test]
fn empty_answers() {
    assert!(g().within(-40.0, -120.0, 50.0, 20).is_empty());
    assert!(g().within(34.0689, -118.4452, 0.0, 20).is_empty());
    assert!(g().within(34.0689, -118.4452, 10.0, 0).is_empty());
    assert!(g().within(f64::NAN, 0.0, 10.0, 5).is_empty());
}

/// The poles and the antimeridian need no special cases.
#[test]
fn antimeridian() {
    let places = vec![
        parse_line("East\t0.0\t179.99\tFJ\t").unwrap(),
        parse_line("West\t0.0\t-179.99\tWS\t").unwrap(),
        parse_line("Pole\t90.0\t0.0\tAQ\t").unwrap(),
    ];
    let small = Gazetteer::from_places(places);
    let names: Vec<&str> = small
        .within(0.0, 180.0, 5.0, 5)
        .iter()
        .map(|(_, p)| p.name.as_str())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(small.within(89.99, 123.0, 5.0, 5).len(), 1);
}

/// Result objects have the Google-like fields.
#[test]
fn result_shape() {
    let r = &g().results(51.5074, -0.1278, 5.0, 1)[0];
    assert!(r["geometry"]["location"]["lat"].is_f64());
    assert!(r["name"].is_string() && r["vicinity"].is_string());
    assert!(r["place_id"].as_str().unwrap().starts_with("gn-"));
    assert_eq!(r["types"][0], "locality");
}
