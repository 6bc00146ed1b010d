"""Static files: versioned URLs cached for a year, a new URL whenever a file changes."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import url_for

from marketplace.static_files import _Versions

ROOT = Path(__file__).resolve().parents[2]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def test_pages_link_static_files_by_their_content(client):
    page = client.get("/").get_data(as_text=True)
    version = _digest(ROOT / "static/css/site.css")
    assert f"/static/css/site.css?v={version}" in page


def test_a_versioned_file_is_cached_for_a_year_and_an_unversioned_one_briefly(client):
    version = _digest(ROOT / "static/css/site.css")
    current = client.get(f"/static/css/site.css?v={version}")
    assert current.status_code == 200
    assert current.cache_control.max_age == 31536000
    assert current.cache_control.immutable and current.cache_control.public
    for url in ("/static/css/site.css", "/static/css/site.css?v=0123456789ab"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.cache_control.max_age == 3600 and not response.cache_control.immutable
        response.close()
    current.close()


def test_a_changed_file_gets_a_new_version(tmp_path):
    css = tmp_path / "a.css"
    css.write_text("body{color:red}")
    versions = _Versions(str(tmp_path))
    first = versions.of("a.css")
    css.write_text("body{color:blue;}")
    assert first and versions.of("a.css") not in (None, first)
    assert versions.of("../a.css") is None and versions.of("missing.css") is None


def test_url_for_keeps_an_explicit_version(app_ctx):
    with app_ctx.test_request_context("/"):
        assert url_for("static", filename="css/site.css", v="x").endswith("?v=x")
        assert re.search(r"\?v=[0-9a-f]{12}$", url_for("static", filename="js/enhance.js"))
