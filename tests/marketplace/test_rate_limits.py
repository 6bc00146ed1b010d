"""Rate-limit counters are shared by every worker process, through the database by default."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from marketplace import create_app
from marketplace.extensions import db, limiter
from marketplace.rate_limits import DatabaseStorage
from tests.conftest import FreshContextClient, base_config, get_csrf

ROOT = Path(__file__).resolve().parents[2]

OTHER_WORKER = textwrap.dedent(
    """
    import json, sys
    from marketplace import create_app
    from marketplace.extensions import db
    from tests.conftest import base_config, get_csrf

    config = json.loads(sys.argv[1])
    app = create_app(config)
    client = app.test_client()
    with app.app_context():
        codes = []
        for _ in range(3):
            token = get_csrf(client)
            codes.append(client.post(
                "/account/login",
                data={"email": "tamu@example.id", "password": "salah", "csrf_token": token},
            ).status_code)
        db.session.remove()
        db.engine.dispose()
    print(json.dumps(codes))
    """
)


def test_a_second_worker_process_sees_the_failed_logins_of_the_first(app, database_url, tmp_path):
    """Three gunicorn workers must not let three times the limit through."""
    config = {
        **base_config(database_url, str(tmp_path)),
        "LOGIN_RATE_LIMIT": "3 per minute",
        "RATELIMIT_STORAGE_URI": "database://",
    }
    worker = subprocess.run(
        [sys.executable, "-c", OTHER_WORKER, json.dumps(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert json.loads(worker.stdout.strip().splitlines()[-1]) == [400, 400, 400]

    app = create_app(config)
    app.test_client_class = FreshContextClient
    client = app.test_client()
    with app.app_context():
        assert isinstance(limiter.storage, DatabaseStorage)
        token = get_csrf(client)
        response = client.post(
            "/account/login",
            data={"email": "tamu@example.id", "password": "salah", "csrf_token": token},
        )
        limiter.reset()
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0


def test_concurrent_hits_are_all_counted(app_ctx):
    storage = DatabaseStorage("database://")
    storage.clear("k")

    def hit():
        with app_ctx.app_context():
            for _ in range(10):
                storage.incr("k", 60)
            db.session.remove()

    threads = [threading.Thread(target=hit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert storage.get("k") == 40


def test_a_window_that_ran_out_starts_again(app_ctx, monkeypatch):
    import marketplace.rate_limits as rate_limits

    storage = DatabaseStorage("database://")
    now = [1_000_000.0]
    monkeypatch.setattr(rate_limits.time, "time", lambda: now[0])
    assert storage.incr("w", 60) == 1
    assert storage.incr("w", 60) == 2
    assert storage.get_expiry("w") == 1_000_060.0
    now[0] += 61
    assert storage.get("w") == 0
    assert storage.incr("w", 60) == 1
    assert storage.get_expiry("w") == 1_000_121.0
    storage.clear("w")
    assert storage.get("w") == 0


def test_the_default_storage_is_the_database(monkeypatch, tmp_path):
    from marketplace.config import from_environment

    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    assert from_environment(tmp_path)["RATELIMIT_STORAGE_URI"] == "database://"


def test_the_api_limit_counts_every_endpoint_together(client, app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "API_RATE_LIMIT", "3 per minute")
    statuses = [
        client.get("/api/v1/categories").status_code,
        client.get("/api/v1/products").status_code,
        client.get("/api/v1/openapi.json").status_code,
        client.get("/api/v1/products/no-such-product").status_code,
    ]
    assert statuses == [200, 200, 200, 429]
