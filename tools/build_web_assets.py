"""Vendor the page's front-end libraries from npm into src/conflictwire/web/static/vendor/.

Run once, when a version below changes (needs ``node`` and ``npm``; nothing of npm is needed at run
time):

    python tools/build_web_assets.py

It installs the pinned packages into a temporary directory with ``npm install --ignore-scripts``,
copies Leaflet and Leaflet.markercluster's built files, converts world-atlas's countries-110m
TopoJSON to GeoJSON with topojson-client (coordinates rounded to 3 decimals, about 100 m: plenty for
a base layer), and writes ``LICENSES.md`` with each package's version, licence and licence text.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "src" / "conflictwire" / "web" / "static" / "vendor"

#: npm package -> (version, licence, licence file in the package, what it is used for)
PACKAGES = {
    "leaflet": ("1.9.4", "BSD-2-Clause", "LICENSE", "the map"),
    "leaflet.markercluster": ("1.5.3", "MIT", "MIT-LICENCE.txt", "marker clusters at low zoom"),
    "world-atlas": ("2.0.2", "ISC", "LICENSE",
                    "country outlines (countries-110m; Natural Earth data, public domain)"),
    "topojson-client": ("3.1.0", "ISC", "LICENSE", "build time only: converts world-atlas TopoJSON to GeoJSON"),
}

#: (package, path in the package, path under vendor/)
FILES = [
    ("leaflet", "dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet", "dist/leaflet.css", "leaflet/leaflet.css"),
    ("leaflet", "dist/images/layers.png", "leaflet/images/layers.png"),
    ("leaflet", "dist/images/layers-2x.png", "leaflet/images/layers-2x.png"),
    ("leaflet", "dist/images/marker-icon.png", "leaflet/images/marker-icon.png"),
    ("leaflet", "dist/images/marker-icon-2x.png", "leaflet/images/marker-icon-2x.png"),
    ("leaflet", "dist/images/marker-shadow.png", "leaflet/images/marker-shadow.png"),
    ("leaflet.markercluster", "dist/leaflet.markercluster.js", "markercluster/leaflet.markercluster.js"),
    ("leaflet.markercluster", "dist/MarkerCluster.css", "markercluster/MarkerCluster.css"),
    ("leaflet.markercluster", "dist/MarkerCluster.Default.css", "markercluster/MarkerCluster.Default.css"),
]

_CONVERT = r"""
const fs = require("fs");
const topojson = require("topojson-client");
const topo = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const geo = topojson.feature(topo, topo.objects.countries);
// Leaflet draws on a plane: a ring cut at the antimeridian would draw a line across the world, so each
// ring's longitudes are made continuous (they may then pass 180, which Leaflet draws east of it).
const unwrap = ring => {
  for (let i = 1; i < ring.length; i++) {
    while (ring[i][0] - ring[i - 1][0] > 180) ring[i][0] -= 360;
    while (ring[i][0] - ring[i - 1][0] < -180) ring[i][0] += 360;
  }
};
for (const f of geo.features) {
  const g = f.geometry;
  if (!g) continue;
  const polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
  for (const polygon of polygons) polygon.forEach(unwrap);
}
const round = (key, value) => (typeof value === "number" && key !== "id") ? Math.round(value * 1000) / 1000 : value;
fs.writeFileSync(process.argv[3], JSON.stringify(geo, round));
"""


def main() -> int:
    npm = shutil.which("npm")
    node = shutil.which("node")
    if not (npm and node):
        print("error: node and npm are needed to build the web assets", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cw-web-") as tmp:
        work = Path(tmp)
        (work / "package.json").write_text('{"name": "cw-web-assets", "private": true}\n', encoding="utf-8")
        specs = [f"{name}@{version}" for name, (version, *_rest) in PACKAGES.items()]
        subprocess.run([npm, "install", "--ignore-scripts", "--no-audit", "--no-fund", "--save-exact", *specs],
                       cwd=work, check=True)
        modules = work / "node_modules"
        if VENDOR.exists():
            shutil.rmtree(VENDOR)
        for package, src, dest in FILES:
            target = VENDOR / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(modules / package / src, target)
            if target.suffix == ".js":  # the source maps are not shipped: drop the pointer to them
                lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
                target.write_text("".join(ln for ln in lines if not ln.startswith("//# sourceMappingURL=")),
                                  encoding="utf-8")
        (work / "convert.js").write_text(_CONVERT, encoding="utf-8")
        countries = VENDOR / "world" / "countries-110m.geojson"
        countries.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([node, str(work / "convert.js"), str(modules / "world-atlas" / "countries-110m.json"),
                        str(countries)], cwd=work, check=True)
        lines = [
            "# Vendored front-end files",
            "",
            "Written by `tools/build_web_assets.py` from npm; do not edit by hand. Served at `/static/vendor/`.",
            "",
            "| package | version | licence | used for |",
            "|---|---|---|---|",
        ]
        texts = []
        for name, (version, licence, licence_file, use) in PACKAGES.items():
            meta = json.loads((modules / name / "package.json").read_text(encoding="utf-8"))
            if meta["version"] != version:
                raise SystemExit(f"error: npm gave {name} {meta['version']}, expected {version}")
            lines.append(f"| {name} | {version} | {licence} | {use} |")
            text = (modules / name / licence_file).read_text(encoding="utf-8").strip()
            texts += ["", f"## {name} {version} ({licence})", "", "```text", text, "```"]
        (VENDOR / "LICENSES.md").write_text("\n".join(lines + texts) + "\n", encoding="utf-8")
    total = sum(p.stat().st_size for p in VENDOR.rglob("*") if p.is_file())
    print(f"wrote {VENDOR.relative_to(ROOT)} ({total / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
