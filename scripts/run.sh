#!/usr/bin/env bash
# Install Migrant Mart into .venv and serve it on http://127.0.0.1:5000 with demo data (SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
.venv/bin/pybabel compile -d marketplace/translations >/dev/null
.venv/bin/flask --app marketplace db upgrade
.venv/bin/flask --app marketplace demo load
exec .venv/bin/flask --app marketplace run --host 127.0.0.1 --port "${PORT:-5000}"
