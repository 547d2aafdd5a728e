#!/usr/bin/env bash
# Regenerates the initial schema revision from the models (before the first
# release only: once a database exists in the field, add revisions instead).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -f "$tmp.keep" ] || true' EXIT
mkdir -p "$tmp/later"
find migrations/versions -name '*.py' ! -name '0001_initial.py' -exec mv {} "$tmp/later/" \;
rm -f migrations/versions/0001_initial.py
export DATABASE_URL="sqlite:///$tmp/empty.sqlite3" ENDORSEMENT_INSTANCE="$tmp/instance" FLASK_APP=app
.venv/bin/flask db revision --autogenerate --rev-id 0001_initial -m "initial schema" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
mv "$tmp"/later/*.py migrations/versions/ 2>/dev/null || true
echo "regenerated migrations/versions/0001_initial.py"
