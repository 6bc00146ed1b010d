"""Every user-facing string has an Indonesian translation: Indonesian is the default language."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _source_ids() -> set:
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    skip = {"node_modules", "tests", "bench", "instance", "migrations", "static"}
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT,
        method_map,
        options_map,
        keywords=KEYWORDS,
        directory_filter=lambda d: (
            not Path(d).name.startswith((".", "_")) and Path(d).name not in skip
        ),
    ):
        ids.add(message if isinstance(message, str) else tuple(message)[0])
    return ids


def test_every_message_is_translated_to_indonesian():
    with open(ROOT / "marketplace/translations/id/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = read_po(fh)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (m.string if isinstance(m.string, str) else all(m.string))
    }
    source = _source_ids()
    assert len(source) > 150
    missing = sorted(source - translated)
    assert missing == [], f"untranslated (run pybabel extract/update): {missing[:20]}"
