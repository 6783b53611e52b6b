//! Decoding the embedded `data/gazetteer.tsv.gz` into [`Place`]s.
//!
//! One place per line, tab-separated:
//! `name, lat, lon, country, region, feature_code, population, place_id`
//! (see `scripts/gazetteer/build.py`), where `place_id` is `<source>:<id>`, e.g.
//! `geonames:5327259` or `ourairports:3632`. Country, region and feature code repeat a lot,
//! so they are interned: about 280,000 places take some 30 MB instead of twice that.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use flate2::read::GzDecoder;

use crate::Error;

/// The gazetteer, compressed, inside the binary so it works with no files beside it.
static EMBEDDED: &[u8] = include_bytes!("../../../../data/gazetteer.tsv.gz");

/// Where a [`Place`] comes from; with [`Place::id`] it makes the `place_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Source {
    /// GeoNames cities500 (CC BY 4.0): populated places. `id` is the GeoNames id
    /// (`https://www.geonames.org/<id>`).
    GeoNames,
    /// OurAirports (public domain): airports, airstrips and seaplane bases. `id` is the
    /// OurAirports record id.
    OurAirports,
}

impl Source {
    /// The `place_id` prefix: `geonames` or `ourairports`.
    pub fn prefix(self) -> &'static str {
        match self {
            Source::GeoNames => "geonames",
            Source::OurAirports => "ourairports",
        }
    }

    fn from_prefix(prefix: &str) -> Option<Source> {
        match prefix {
            "geonames" => Some(Source::GeoNames),
            "ourairports" => Some(Source::OurAirports),
            _ => None,
        }
    }
}

/// One place: a populated place from GeoNames or an airport from OurAirports.
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    /// Its name, as the source spells it.
    pub name: String,
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
    /// ISO 3166 country code, e.g. `US`.
    pub country: Arc<str>,
    /// What the `vicinity` names before the country: the first-level division (state,
    /// province) for populated places, e.g. `California`; "municipality, division" for
    /// airports, e.g. `Los Angeles, California`. May be empty.
    pub region: Arc<str>,
    /// GeoNames feature code, for every source: `PPL`, `PPLA`..`PPLA5`, `PPLC`, `PPLX`, ...
    /// for populated places; `AIRP` (airport), `AIRF` (airstrip, small airport), `AIRS`
    /// (seaplane base) for airports.
    pub feature_code: Arc<str>,
    /// Population, 0 if unknown (always 0 for airports).
    pub population: u64,
    /// The dataset it comes from.
    pub source: Source,
    /// Its id in that dataset.
    pub id: u64,
}

/// Shares one allocation per distinct string.
///
/// The file is sorted by country and region, so a column usually repeats the line before:
/// each column's last value is checked first, and the hash map only on a change.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    all: HashMap<String, Arc<str>>,
    last: [Option<Arc<str>>; 3],
}

impl Interner {
    /// The shared copy of `s`, the value of column `column` (0, 1 or 2).
    pub(crate) fn get(&mut self, column: usize, s: &str) -> Arc<str> {
        let slot = self.last.get_mut(column);
        if let Some(Some(last)) = slot.as_deref() {
            if **last == *s {
                return last.clone();
            }
        }
        let a = match self.all.get(s) {
            Some(a) => a.clone(),
            None => {
                let a: Arc<str> = Arc::from(s);
                self.all.insert(s.to_string(), a.clone());
                a
            }
        };
        if let Some(slot) = slot {
            *slot = Some(a.clone());
        }
        a
    }
}

/// Parse a `place_id` column: `<source>:<id>`.
fn parse_place_id(s: &str) -> Result<(Source, u64), String> {
    let (prefix, id) = s
        .split_once(':')
        .ok_or_else(|| format!("place id {s:?} is not <source>:<id>"))?;
    let source = Source::from_prefix(prefix)
        .ok_or_else(|| format!("place id: unknown source {prefix:?}"))?;
    let id = id.parse().map_err(|e| format!("place id {s:?}: {e}"))?;
    Ok((source, id))
}

/// Parse one TSV line.
///
/// # Errors
/// A message naming the first field that is missing or malformed.
pub(crate) fn parse_line(line: &str, strings: &mut Interner) -> Result<Place, String> {
    let mut f = line.split('\t');
    let mut next = |what: &str| f.next().ok_or_else(|| format!("missing {what}"));
    let name = next("name")?.to_string();
    let lat: f64 = next("lat")?.parse().map_err(|e| format!("lat: {e}"))?;
    let lon: f64 = next("lon")?.parse().map_err(|e| format!("lon: {e}"))?;
    let country = strings.get(0, next("country")?);
    let region = strings.get(1, next("region")?);
    let feature_code = strings.get(2, next("feature code")?);
    let population = next("population")?
        .parse()
        .map_err(|e| format!("population: {e}"))?;
    let (source, id) = parse_place_id(next("place id")?)?;
    if name.is_empty() {
        return Err("empty name".into());
    }
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(format!("coordinates out of range: {lat}, {lon}"));
    }
    Ok(Place {
        name,
        lat,
        lon,
        country,
        region,
        feature_code,
        population,
        source,
        id,
    })
}

/// Decode every embedded place.
///
/// # Errors
/// [`Error::Gazetteer`] if the data does not decompress or a line does not parse: the file
/// is built by a script and checked by the tests, so damage is a build mistake to report.
pub(crate) fn embedded() -> Result<Vec<Place>, Error> {
    let mut text = String::new();
    GzDecoder::new(EMBEDDED)
        .read_to_string(&mut text)
        .map_err(|e| Error::Gazetteer {
            line: 0,
            reason: format!("cannot decompress: {e}"),
        })?;
    let mut strings = Interner::default();
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            parse_line(l, &mut strings).map_err(|reason| Error::Gazetteer {
                line: i + 1,
                reason,
            })
        })
        .collect()
}
