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

/// The whole embedded file parses, and it is dense: populated places and airports.
#[test]
fn embedded_data_parses() {
    assert!(g().len() > 250_000, "{}", g().len());
    let airports = g()
        .within(51.4706, -0.461941, 50.0, usize::MAX)
        .into_iter()
        .filter(|(_, p)| p.source == Source::OurAirports)
        .count();
    assert!(
        airports >= 10,
        "{airports} airports within 50 km of Heathrow"
    );
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
        place("East\t0.0\t179.99\tFJ\t\tPPL\t0\tgeonames:1"),
        place("West\t0.0\t-179.99\tWS\t\tPPL\t0\tgeonames:2"),
        place("Pole\t90.0\t0.0\tAQ\t\tAIRF\t0\tourairports:3"),
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
    let err = |line: &str| parse_line(line, &mut Interner::default()).unwrap_err();
    assert!(err("X\t1\t2\tUS\tCA\tPPL\t5").contains("missing place id"));
    assert!(err("X\t1\t2\tUS\tCA\tPPL\t5\t1").contains("not <source>:<id>"));
    assert!(err("X\t1\t2\tUS\tCA\tPPL\t5\tosm:1").contains("unknown source"));
    assert!(err("X\t1\t2\tUS\tCA\tPPL\t5\tgeonames:KLAX").contains("place id"));
    assert!(err("X\t91\t2\tUS\tCA\tPPL\t5\tgeonames:1").contains("out of range"));
    assert!(err("\t1\t2\tUS\tCA\tPPL\t5\tgeonames:1").contains("empty name"));
    assert!(err("X\tnorth\t2\tUS\tCA\tPPL\t5\tgeonames:1").contains("lat"));
    let p = parse_line("X\t1\t2\tUS\tCA\tAIRS\t0\tourairports:42", &mut s).unwrap();
    assert_eq!((p.source, p.id), (Source::OurAirports, 42));
    assert_eq!(p.place_id(), "ourairports:42");
}

/// Result objects have the Google-like fields, ids and types from GeoNames.
#[test]
fn result_shape() {
    let r = &g().results(51.5074, -0.1278, 5.0, 1)[0];
    assert!(r["geometry"]["location"]["lat"].is_f64());
    assert!(r["name"].is_string() && r["vicinity"].is_string());
    assert!(r["place_id"].as_str().unwrap().starts_with("geonames:"));
    assert_eq!(
        r["place_id"],
        g().within(51.5074, -0.1278, 5.0, 1)[0].1.place_id()
    );
    assert_eq!(r["types"][0], "locality");
    let tokyo = g().within(35.6895, 139.6917, 1.0, 20);
    let capital = tokyo
        .iter()
        .find(|(_, p)| (p.source, p.id) == (Source::GeoNames, 1_850_147));
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

/// At an airport, the airport comes first, typed like Google's and with an OurAirports id.
#[test]
fn airport_is_found_as_an_airport() {
    let lax = &g().results(33.9425, -118.408, 1.0, 5)[0];
    assert_eq!(lax["name"], "Los Angeles International Airport");
    assert_eq!(lax["place_id"], "ourairports:3632");
    assert_eq!(
        lax["types"],
        serde_json::json!(["airport", "point_of_interest", "establishment"])
    );
    assert_eq!(lax["vicinity"], "Los Angeles, California, US");
    let heathrow = g().within(51.4706, -0.461941, 1.0, 5);
    assert!(
        heathrow
            .iter()
            .any(|(_, p)| p.name == "London Heathrow Airport" && &*p.feature_code == "AIRP"),
        "{heathrow:?}"
    );
}

/// At sea a few km off an island with no town in GeoNames cities500 (Midway's Sand Island,
/// Wake Island), the island's airfield is found, and it is the only thing there.
#[test]
fn off_an_island_finds_its_airfield() {
    for (lat, lon, want) in [
        (28.25, -177.38, "Henderson Field"),
        (19.33, 166.64, "Wake Island Airfield"),
    ] {
        let hits = g().within(lat, lon, 10.0, 20);
        let names: Vec<&str> = hits.iter().map(|(_, p)| p.name.as_str()).collect();
        assert_eq!(names, [want], "off {want}");
        assert!(
            hits[0].0 > 3.0,
            "{} km: not at sea off the island",
            hits[0].0
        );
        assert_eq!(hits[0].1.to_result()["types"][0], "airport");
    }
}

/// In a city, populated places still come first: the nearest airport is farther away.
#[test]
fn towns_still_lead_in_town() {
    let hits = g().within(34.0689, -118.4452, 10.0, 20);
    assert_eq!(hits[0].1.name, "Bel Air");
    assert_eq!(hits[0].1.source, Source::GeoNames);
    let smo = hits
        .iter()
        .position(|(_, p)| p.place_id() == "ourairports:21087");
    assert!(matches!(smo, Some(i) if i > 0), "{hits:?}");
}

/// Feature codes map to Google's legacy types.
#[test]
fn types_follow_feature_codes() {
    assert_eq!(types_for("PPL"), ["locality", "political"]);
    assert_eq!(types_for("PPLA2"), ["locality", "political"]);
    assert_eq!(types_for("PPLC"), ["locality", "political", "capital"]);
    assert_eq!(types_for("PPLX"), ["sublocality", "political"]);
    assert_eq!(types_for("PPLQ"), ["locality"]);
    assert_eq!(types_for("STLMT"), ["locality", "political"]);
    for code in ["AIRP", "AIRF", "AIRS"] {
        assert_eq!(
            types_for(code),
            ["airport", "point_of_interest", "establishment"]
        );
    }
    assert_eq!(types_for("XYZ"), ["point_of_interest", "establishment"]);
}

/// Every embedded row has a feature code that maps to a specific type, not the fallback.
#[test]
fn every_embedded_code_is_known() {
    let everything = g().within(0.0, 0.0, 30_000.0, usize::MAX);
    assert_eq!(everything.len(), g().len());
    let odd: Vec<&str> = everything
        .iter()
        .map(|(_, p)| &*p.feature_code)
        .filter(|c| types_for(c) == ["point_of_interest", "establishment"])
        .collect();
    assert!(odd.is_empty(), "{odd:?}");
}

/// Interning shares one copy per distinct string, whichever column asks, and a column's
/// last value never leaks into another column.
#[test]
fn interner_shares_and_keeps_columns_apart() {
    let mut s = Interner::default();
    let us = s.get(0, "US");
    let ca = s.get(1, "CA");
    assert_eq!((&*us, &*ca), ("US", "CA"));
    assert!(std::sync::Arc::ptr_eq(&us, &s.get(0, "US")));
    assert!(std::sync::Arc::ptr_eq(&us, &s.get(1, "US")));
    assert_eq!(&*s.get(0, "FR"), "FR");
    assert!(std::sync::Arc::ptr_eq(&ca, &s.get(2, "CA")));
    assert_eq!(&*s.get(1, "California"), "California");
}
