#!/usr/bin/env bash
# Install Migrant Mart with its test tools into .venv and run the whole test suite.
# PostgreSQL tests run when TEST_DATABASE_URL is set; browser tests need /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
.venv/bin/pybabel compile -d marketplace/translations >/dev/null
if command -v npm >/dev/null 2>&1 && [ ! -f node_modules/vnu-jar/build/dist/vnu.jar ]; then
  npm install --silent --no-audit --no-fund >/dev/null 2>&1 || echo "note: npm install failed; HTML validity tests will be skipped"
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
