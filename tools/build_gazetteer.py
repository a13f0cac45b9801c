"""Build the conflictwire gazetteer SQLite file at a given path.

    python tools/build_gazetteer.py OUT.sqlite [--additions FILE.csv]

The library builds the same file on first use into the user cache directory; this script is for
shipping a prebuilt file (point CONFLICTWIRE_GAZETTEER at it) or inspecting one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from conflictwire.geo.build import build_gazetteer
from conflictwire.geo.errors import GazetteerBuildError


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build, print the build summary as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="path of the SQLite file to write (overwritten)")
    parser.add_argument("--additions", type=Path, default=None,
                        help="additions CSV to use instead of the packaged data/gazetteer_additions.csv")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    try:
        summary = build_gazetteer(args.out, args.additions)
    except GazetteerBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
