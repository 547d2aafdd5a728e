#!/usr/bin/env bash
# Autogenerates the next schema revision from the models: a scratch SQLite
# database is upgraded to the current head and compared with the models.
# Read the generated file before committing it: data that must move, and
# SQLite's limits (a batch rebuild of a table others reference cascades).
# usage: migrations/new-revision.sh 0004_short_name "what changes"
set -euo pipefail
rev_id=${1:?usage: new-revision.sh 0004_short_name "what changes"}
message=${2:?usage: new-revision.sh 0004_short_name "what changes"}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export DATABASE_URL="sqlite:///$tmp/head.sqlite3" ENDORSEMENT_INSTANCE="$tmp/instance" FLASK_APP=app
.venv/bin/flask db upgrade >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
.venv/bin/flask db revision --autogenerate --rev-id "$rev_id" -m "$message" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
grep -hE "Generating|No changes" "$tmp/log" || cat "$tmp/log"
