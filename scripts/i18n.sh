#!/usr/bin/env bash
# Refresh the message catalogue after changing user-facing text:
#   bash scripts/i18n.sh   → extracts messages.pot and merges it into every language's .po
# Then translate the new (empty or fuzzy) entries in marketplace/translations/id/.../messages.po.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel extract -F babel.cfg -k lazy_gettext -k _l --no-location --omit-header \
  -o marketplace/translations/messages.pot .
.venv/bin/pybabel update -i marketplace/translations/messages.pot -d marketplace/translations \
  --ignore-obsolete
.venv/bin/pybabel compile -d marketplace/translations
