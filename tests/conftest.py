"""Shared fixtures: every database test runs on SQLite and, when TEST_DATABASE_URL is set,
on PostgreSQL too. Each test starts from empty tables."""

from __future__ import annotations

import contextvars
import os
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from catalog import search
from marketplace import create_app, page_cache
from marketplace.config import normalise_database_url
from marketplace.extensions import cache, db, limiter

PG_SKIP_REASON = (
    "PostgreSQL run skipped: set TEST_DATABASE_URL "
    "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run the suite on PostgreSQL too"
)


SEARCH_BACKENDS = ["whoosh", "postgres"]
TEST_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL search backend needs a PostgreSQL database: drop the SQLite pairing."""
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        backend = params.get("catalogue") or params.get("search_backend")
        if backend == "postgres" and params.get("database_url") == "sqlite":
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def base_config(database_url: str, media_root: str) -> dict:
    return {
        "SEARCH_INDEX_DIR": str(Path(media_root) / "search-index"),
        # Private files and the e-mail outbox beside the test media, never in ./instance.
        "PRIVATE_ROOT": str(Path(media_root).parent / (Path(media_root).name + "-private")),
        "MAIL_OUTBOX": str(Path(media_root).parent / (Path(media_root).name + "-outbox.log")),
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MEDIA_ROOT": media_root,
        "SECRET_KEY": "test-secret",
        "SERVER_NAME": "localhost",
        "RATELIMIT_ENABLED": True,
        # Fresh counters for each app a test builds; the shared database storage (the default
        # outside tests) is tested on its own in tests/marketplace/test_rate_limits.py.
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "PRODUCTS_PER_PAGE": 4,
        "PAGE_CACHE_SECONDS": 0,  # on only in the page-cache tests, which check it directly
        # Product views are written only when a test says so (tests/catalog/test_view_counts.py).
        "VIEW_COUNT_BATCH": 0,
        "VIEW_COUNT_SECONDS": 0,
        # A few thousand times cheaper than scrypt: tests create and log in many users.
        "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH_METHOD,
    }


REPO_INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def instance_snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``root`` with its size and modification time (empty if it is absent)."""
    if not root.exists():
        return {}
    snapshot = {".": (0, root.stat().st_mtime_ns)}
    for path in root.rglob("*"):
        stat = path.lstat()
        snapshot[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return snapshot


def instance_changes(before: dict, after: dict) -> list[str]:
    return sorted(
        path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
    )


@pytest.fixture(scope="session", autouse=True)
def _keep_the_repository_instance_untouched(tmp_path_factory):
    """Apps built without an explicit INSTANCE_PATH live in a temporary folder, and the run
    fails if anything under the checkout's ./instance (a developer's database, uploads and
    outbox) was created or changed. A dev server writing there during the run would trip it:
    run the tests with the server stopped, or from another checkout."""
    before = instance_snapshot(REPO_INSTANCE)
    saved = os.environ.get("INSTANCE_PATH")
    os.environ["INSTANCE_PATH"] = str(tmp_path_factory.mktemp("instance"))
    yield
    if saved is None:
        os.environ.pop("INSTANCE_PATH", None)
    else:
        os.environ["INSTANCE_PATH"] = saved
    changed = instance_changes(before, instance_snapshot(REPO_INSTANCE))
    assert not changed, f"the test run wrote into {REPO_INSTANCE}: {changed[:10]}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip(PG_SKIP_REASON)
    return normalise_database_url(url)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    application = create_app(base_config(database_url, str(tmp_path_factory.mktemp("media"))))
    with application.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()
    # Ids start again from 1: copies derived from the last test's rows (product cards) must go.
    page_cache.bump()


@pytest.fixture()
def app_ctx(app):
    """An application context with empty tables and a fresh rate-limit memory."""
    with app.app_context():
        _empty_tables()
        search.backend().clear()
        limiter.reset()
        yield app
        db.session.remove()


@pytest.fixture()
def cached(app_ctx):
    """The app with its page cache on (30 s) and empty, for tests of what it keeps."""
    app_ctx.config["PAGE_CACHE_SECONDS"] = 30
    cache.clear()
    yield app_ctx
    app_ctx.config["PAGE_CACHE_SECONDS"] = 0
    cache.clear()


class FreshContextClient(FlaskClient):
    """Runs each request in an empty context, as production does.

    Without this, requests would reuse the test's application context, and with it ``g``,
    the logged-in user cache and Flask-Babel's cached locale.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture()
def client(app_ctx):
    app_ctx.test_client_class = FreshContextClient
    return app_ctx.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def get_csrf(client, url: str = "/account/login") -> str:
    return csrf_from(client.get(url).get_data(as_text=True))


def login(client, email: str, password: str = "password123") -> None:
    token = get_csrf(client, "/account/login")
    response = client.post(
        "/account/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture(params=SEARCH_BACKENDS)
def search_backend(app_ctx, request):
    """Runs a test once per search backend (PostgreSQL's only on the PostgreSQL database)."""
    from catalog.search.postgres_backend import PostgresBackend

    default = app_ctx.extensions["search"]
    if request.param == "postgres":
        app_ctx.extensions["search"] = PostgresBackend(app_ctx)
        search.backend().clear()
    yield search.backend()
    search.backend().clear()
    app_ctx.extensions["search"] = default


def use_private_root(app, monkeypatch, root: Path) -> None:
    """Private files of one test in ``root``: the store bound at start-up and ``PRIVATE_ROOT``."""
    from marketplace.storage import LocalStorage

    monkeypatch.setitem(app.config, "PRIVATE_ROOT", str(root))
    monkeypatch.setitem(app.extensions["storage"], "private", LocalStorage(root))
