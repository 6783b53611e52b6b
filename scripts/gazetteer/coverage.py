#!/usr/bin/env python3
"""How much of the world gets an offline WHATSAT answer: coverage of data/gazetteer.tsv.gz.

Two shares are measured, each over its own stream of random points:

- land: points drawn uniformly on the sphere, kept when they fall on land, until N are kept;
- coast: points drawn the same way, kept when they lie within 10 km of a coastline (on
  either side of it, so half are at sea), until N are kept;

and for each, the share of points with at least one gazetteer place within 10 km (great
circle, as `Gazetteer::within` measures it). Each share is reported for every source in the
file alone and for all of them together; `geonames` alone is the gazetteer before features
were added, so one run gives both the before and the after numbers.

Land mask and coastline: Natural Earth 1:10m land (public domain), as TopoJSON in the npm
package `world-atlas` 2.0.2 (`land-10m.json`, quantised to about 400 m). The coastline is
the land polygons' outline, without the cuts the data has along the antimeridian and along
its southern edge (85.22 S); points south of that edge are inside Antarctica and count as
land. Lakes are not holes in this mask, so a point on a lake counts as land.

Points come from Python's `random.Random(seed)`; the defaults (seed 8, 10,000 points per
share) are the ones reported in docs/decisions.md. Pure Python, no third-party modules;
takes a few minutes:

    python3 scripts/gazetteer/coverage.py [--gazetteer data/gazetteer.tsv.gz] [--n 10000]

Files from before place ids had a source prefix (last column a bare GeoNames id) are read
as `geonames`.
"""
import argparse, gzip, json, math, os, random, subprocess, sys, tarfile, tempfile
from collections import defaultdict

NPM_LAND = "world-atlas@2.0.2"
RADIUS_KM = 10.0
EARTH_RADIUS_KM = 6371.0088  # as crates/places/src/response.rs
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def npm_file(spec, member):
    """Bytes of `package/<member>` in the npm tarball of `spec`."""
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["npm", "pack", spec, "--silent"], cwd=d, check=True,
                       stdout=subprocess.DEVNULL)
        tgz = [f for f in os.listdir(d) if f.endswith(".tgz")][0]
        with tarfile.open(os.path.join(d, tgz)) as t:
            return t.extractfile("package/" + member).read()


def land_rings(topo):
    """The land polygons' rings as lists of (lon, lat), decoded from TopoJSON."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    rings = []
    for geom in topo["objects"]["land"]["geometries"]:
        polys = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        for poly in polys:
            for ring in poly:
                pts = []
                for i in ring:
                    a = arcs[i] if i >= 0 else arcs[~i][::-1]
                    pts.extend(a if not pts else a[1:])
                rings.append(pts)
    return rings, ty


class Land:
    """Even-odd point-in-polygon over all rings, and distance to the coastline."""

    BAND = 0.05  # degrees of latitude per ray-casting band
    CELL = 0.1  # degrees per coastline grid cell

    def __init__(self, rings, south):
        self.south = south
        self.bands = defaultdict(list)
        self.cells = defaultdict(list)
        quantum = 0.01
        for ring in rings:
            for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
                if y1 != y2:
                    for b in range(int(math.floor(min(y1, y2) / self.BAND)),
                                   int(math.floor(max(y1, y2) / self.BAND)) + 1):
                        self.bands[b].append((x1, y1, x2, y2))
                cut = (abs(abs(x1) - 180) < quantum and abs(abs(x2) - 180) < quantum) or \
                      (y1 - south < quantum and y2 - south < quantum)
                if cut:
                    continue
                for cy in range(int(math.floor(min(y1, y2) / self.CELL)),
                                int(math.floor(max(y1, y2) / self.CELL)) + 1):
                    for cx in range(int(math.floor(min(x1, x2) / self.CELL)),
                                    int(math.floor(max(x1, x2) / self.CELL)) + 1):
                        self.cells[(cy, cx)].append((x1, y1, x2, y2))

    def on_land(self, lat, lon):
        if lat < self.south:
            return True
        inside = False
        for x1, y1, x2, y2 in self.bands.get(int(math.floor(lat / self.BAND)), ()):
            if (y1 > lat) != (y2 > lat) and x1 + (lat - y1) * (x2 - x1) / (y2 - y1) > lon:
                inside = not inside
        return inside

    def near_coast(self, lat, lon, km):
        """Whether a coastline segment comes within `km` (equirectangular about the point)."""
        dlat = km / 111.0
        coslat = math.cos(math.radians(lat))
        if coslat < 1e-3:
            return False
        dlon = min(km / (111.0 * coslat), 180.0)
        seen = set()
        for cy in range(int(math.floor((lat - dlat) / self.CELL)),
                        int(math.floor((lat + dlat) / self.CELL)) + 1):
            for cxr in range(int(math.floor((lon - dlon) / self.CELL)),
                             int(math.floor((lon + dlon) / self.CELL)) + 1):
                cx = (cxr + 1800) % 3600 - 1800  # wrap at the antimeridian
                for seg in self.cells.get((cy, cx), ()):
                    if id(seg) in seen:
                        continue
                    seen.add(id(seg))
                    if segment_km(lat, lon, coslat, seg) <= km:
                        return True
        return False


def segment_km(lat, lon, coslat, seg):
    """Distance from (lat, lon) to a segment, in a local equirectangular projection (km)."""
    x1, y1, x2, y2 = seg
    k = 111.195  # km per degree on the mean sphere
    ax, ay = ((x1 - lon + 540) % 360 - 180) * coslat * k, (y1 - lat) * k
    bx, by = ((x2 - lon + 540) % 360 - 180) * coslat * k, (y2 - lat) * k
    dx, dy = bx - ax, by - ay
    t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / (dx * dx + dy * dy)))
    return math.hypot(ax + t * dx, ay + t * dy)


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


class Places:
    """The gazetteer's points in 0.1-degree cells, for 'anything within 10 km?'."""

    CELL = 0.1

    def __init__(self, points):
        self.cells = defaultdict(list)
        for lat, lon in points:
            self.cells[(int(math.floor(lat / self.CELL)), int(math.floor(lon / self.CELL)))] \
                .append((lat, lon))

    def any_within(self, lat, lon, km):
        dlat = km / 110.0
        coslat = math.cos(math.radians(lat))
        dlon = 180.0 if coslat < km / 100.0 else min(km / (110.0 * coslat), 180.0)
        for cy in range(int(math.floor((lat - dlat) / self.CELL)),
                        int(math.floor((lat + dlat) / self.CELL)) + 1):
            for cxr in range(int(math.floor((lon - dlon) / self.CELL)),
                             int(math.floor((lon + dlon) / self.CELL)) + 1):
                cx = (cxr + 1800) % 3600 - 1800
                for plat, plon in self.cells.get((cy, cx), ()):
                    if haversine_km(lat, lon, plat, plon) <= km:
                        return True
        return False


def read_gazetteer(path):
    """source -> [(lat, lon)], from the TSV that crates/places/src/offline/data.rs reads."""
    by_source = defaultdict(list)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            source = fields[7].split(":", 1)[0] if ":" in fields[7] else "geonames"
            by_source[source].append((float(fields[1]), float(fields[2])))
    return by_source


def sample(rng, keep, n):
    """n points uniform on the sphere that `keep` accepts, and how many were drawn."""
    kept, drawn = [], 0
    while len(kept) < n:
        drawn += 1
        lat = math.degrees(math.asin(2 * rng.random() - 1))
        lon = 360 * rng.random() - 180
        if keep(lat, lon):
            kept.append((lat, lon))
    return kept, drawn


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gazetteer", default=os.path.join(root, "data", "gazetteer.tsv.gz"))
    ap.add_argument("--n", type=int, default=10_000, help="points per share (default 10000)")
    ap.add_argument("--seed", type=int, default=8)
    args = ap.parse_args()

    rings, south = land_rings(json.loads(npm_file(NPM_LAND, "land-10m.json")))
    land = Land(rings, south)
    by_source = read_gazetteer(args.gazetteer)
    sets = {name: Places(pts) for name, pts in sorted(by_source.items())}
    if len(sets) > 1:
        sets["all"] = Places([p for pts in by_source.values() for p in pts])

    rng = random.Random(args.seed)
    on_land, drawn_land = sample(rng, land.on_land, args.n)
    coastal, drawn_coast = sample(rng, lambda la, lo: land.near_coast(la, lo, RADIUS_KM), args.n)
    print(f"gazetteer {os.path.relpath(args.gazetteer)}: "
          + ", ".join(f"{k} {len(v):,}" for k, v in sorted(by_source.items())))
    print(f"seed {args.seed}; land: {args.n:,} of {drawn_land:,} points drawn; "
          f"coast (within {RADIUS_KM:g} km of a coastline): {args.n:,} of {drawn_coast:,}")
    print(f"{'places':<14}{'land':>8}{'coast':>8}   (share with a place within "
          f"{RADIUS_KM:g} km)")
    for name, places in sets.items():
        shares = [sum(places.any_within(la, lo, RADIUS_KM) for la, lo in pts) / len(pts)
                  for pts in (on_land, coastal)]
        print(f"{name:<14}" + "".join(f"{100 * s:>7.1f}%" for s in shares))


if __name__ == "__main__":
    sys.exit(main())
