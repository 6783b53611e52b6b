//! Decoding the embedded `data/gazetteer.tsv.gz`: `name, lat, lon, country, region` per line.

use std::io::Read;

use flate2::read::GzDecoder;

static EMBEDDED: &[u8] = include_bytes!("../../../../data/gazetteer.tsv.gz");

/// One populated place.
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    /// Its name, as GeoNames spells it.
    pub name: String,
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
    /// ISO 3166 country code.
    pub country: String,
    /// First-level administrative division name (state, province), may be empty.
    pub region: String,
}

impl Place {
    /// A stable id: FNV-1a of name, country and coordinates, so the same place keeps its id
    /// across rebuilds of the data.
    pub fn place_id(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let key = format!(
            "{}\t{}\t{:.5}\t{:.5}",
            self.name, self.country, self.lat, self.lon
        );
        for b in key.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("gn-{h:016x}")
    }
}

/// Parse one TSV line; `None` if malformed.
pub(crate) fn parse_line(line: &str) -> Option<Place> {
    let mut f = line.split('\t');
    let name = f.next()?.to_string();
    let lat: f64 = f.next()?.parse().ok()?;
    let lon: f64 = f.next()?.parse().ok()?;
    let country = f.next()?.to_string();
    let region = f.next().unwrap_or("").to_string();
    let valid =
        !name.is_empty() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
    valid.then_some(Place {
        name,
        lat,
        lon,
        country,
        region,
    })
}

/// The embedded places. Malformed lines are skipped (and counted in a warning), so a
/// damaged data file degrades answers instead of stopping the server.
pub(crate) fn embedded() -> Vec<Place> {
    let mut text = String::new();
    if let Err(e) = GzDecoder::new(EMBEDDED).read_to_string(&mut text) {
        tracing::error!(error = %e, "embedded gazetteer is damaged; offline places will be empty");
        return Vec::new();
    }
    let mut bad = 0usize;
    let places: Vec<Place> = text
        .lines()
        .filter_map(|l| {
            let p = parse_line(l);
            bad += usize::from(p.is_none());
            p
        })
        .collect();
    if bad > 0 {
        tracing::warn!(bad, "skipped malformed gazetteer lines");
    }
    places
}
