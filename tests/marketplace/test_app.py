"""Factory, configuration, health check, security headers and error pages."""

import pytest

from marketplace import create_app
from marketplace.config import ConfigError, normalise_database_url


def test_production_refuses_development_secret(monkeypatch):
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_real_secret_and_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret-value")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite'}")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.sqlite", "sqlite:///x.sqlite"),
    ],
)
def test_database_url_uses_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


def test_healthz_checks_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_unreachable_database(tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
            "MEDIA_ROOT": str(tmp_path),
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_unknown_page_is_a_friendly_404_in_indonesian(client):
    response = client.get("/tidak-ada")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert 'lang="id"' in body
    assert "Halaman tidak ditemukan" in body


def test_api_paths_get_json_errors(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


def test_regions_json(client):
    provinces = client.get("/regions").get_json()
    assert len(provinces) == 38
    assert {"code": "52", "name": "Nusa Tenggara Barat", "postal_code": None} in provinces
    villages = client.get("/regions/52.03.12").get_json()
    assert any(v["name"] == "Pringgasela" and v["postal_code"] for v in villages)
    assert client.get("/regions/99.99").status_code == 404


def test_behind_a_trusted_proxy_the_client_address_and_scheme_come_from_it(tmp_path):
    app = create_app({"TRUSTED_PROXIES": 1, "MEDIA_ROOT": str(tmp_path), "TESTING": True})
    seen = {}

    @app.get("/_probe")
    def probe():
        from flask import request

        seen.update(addr=request.remote_addr, scheme=request.scheme, host=request.host)
        return "ok"

    app.test_client().get(
        "/_probe",
        headers={
            "X-Forwarded-For": "36.68.1.2",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "migrantmart.id",
        },
    )
    assert seen == {"addr": "36.68.1.2", "scheme": "https", "host": "migrantmart.id"}


def _app_with_a_view_raising_not_found(tmp_path):
    from marketplace.errors import NotFound
    from marketplace.extensions import db
    from tests.conftest import base_config

    app = create_app(base_config(f"sqlite:///{tmp_path / 'nf.sqlite'}", str(tmp_path / "media")))

    def missing():
        raise NotFound("no such thing for this user")

    app.add_url_rule("/missing-thing", "missing_thing", missing)
    app.add_url_rule("/api/v1/missing-thing", "api_missing_thing", missing)
    with app.app_context():
        db.create_all()
    return app


def test_a_domain_not_found_from_a_view_is_the_friendly_404_page(tmp_path):
    response = _app_with_a_view_raising_not_found(tmp_path).test_client().get("/missing-thing")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Halaman tidak ditemukan" in body
    assert "no such thing" not in body


def test_a_domain_not_found_under_the_api_is_a_json_404(tmp_path):
    app = _app_with_a_view_raising_not_found(tmp_path)
    response = app.test_client().get("/api/v1/missing-thing")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Not Found", "status": 404}


def test_the_instance_guard_sees_new_changed_and_removed_files(tmp_path):
    from tests.conftest import instance_changes, instance_snapshot

    assert instance_snapshot(tmp_path / "absent") == {}
    (tmp_path / "kept.txt").write_text("a")
    (tmp_path / "changed.txt").write_text("a")
    (tmp_path / "removed.txt").write_text("a")
    before = instance_snapshot(tmp_path)
    assert instance_changes(before, instance_snapshot(tmp_path)) == []
    (tmp_path / "changed.txt").write_text("ab")
    (tmp_path / "removed.txt").unlink()
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "new.jpg").write_bytes(b"x")
    changed = instance_changes(before, instance_snapshot(tmp_path))
    assert {"changed.txt", "removed.txt", "media", "media/new.jpg"} <= set(changed)
    assert "kept.txt" not in changed


def test_apps_built_by_tests_keep_out_of_the_checkout_instance_folder():
    from tests.conftest import REPO_INSTANCE

    app = create_app()
    assert not app.instance_path.startswith(str(REPO_INSTANCE))
    for key in ("MEDIA_ROOT", "PRIVATE_ROOT", "MAIL_OUTBOX", "SEARCH_INDEX_DIR"):
        assert not app.config[key].startswith(str(REPO_INSTANCE)), key
