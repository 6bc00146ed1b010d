"""Browser tests: a live server with demo data, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from marketplace import create_app
from marketplace.extensions import db

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def require_or_skip(ok: bool, reason: str) -> None:
    """Skip with a reason on a laptop; in CI (REQUIRE_FULL_SUITE=1) a missing part is a failure."""
    if ok:
        return
    if os.environ.get("REQUIRE_FULL_SUITE") == "1":
        pytest.fail(f"required for the full suite: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the live server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the live server did not become healthy in time")


@contextmanager
def serve_demo(base: Path, prepare: Callable[[], None] | None = None) -> Iterator[str]:
    """The demo store served by gunicorn in its own process, as in production.

    The database and demo data are prepared here (``prepare`` adds a test's own rows before the
    server starts); the server process reads the same settings from its environment. A separate
    process also keeps the server's socket handling (a browser dropping a connection
    mid-response) out of this test process.
    """
    settings = {
        "DATABASE_URL": f"sqlite:///{base / 'live.sqlite'}",
        "MEDIA_ROOT": str(base / "media"),
        "SEARCH_INDEX_DIR": str(base / "search-index"),
        "INSTANCE_PATH": str(base / "instance"),
        "SECRET_KEY": "e2e-secret",
        "RATELIMIT_ENABLED": "0",
    }
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": settings["DATABASE_URL"],
            "MEDIA_ROOT": settings["MEDIA_ROOT"],
            "SEARCH_INDEX_DIR": settings["SEARCH_INDEX_DIR"],
            "SECRET_KEY": settings["SECRET_KEY"],
        }
    )
    with app.app_context():
        db.create_all()
        from marketplace.demo.loader import load

        load(product_limit=16)
        if prepare is not None:
            prepare()
        db.session.remove()
        db.engine.dispose()
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(base / "server.log", "wb")  # noqa: SIM115 - closed after the server stops
    process = subprocess.Popen(
        [
            str(gunicorn),
            "--workers",
            "1",
            "--threads",
            "8",
            "--bind",
            f"127.0.0.1:{port}",
            "marketplace:create_app()",
        ],
        cwd=ROOT,
        env={**os.environ, **settings, "MARKETPLACE_ENV": "development"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    require_or_skip(Path(CHROMIUM).exists(), f"browser tests need Chromium at {CHROMIUM}")
    with serve_demo(tmp_path_factory.mktemp("live")) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    require_or_skip(Path(CHROMIUM).exists(), f"browser tests need Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield instance
        instance.close()


@pytest.fixture()
def phone(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    yield page
    context.close()


def vnu_available() -> bool:
    return VNU_JAR.exists() and shutil.which("java") is not None


def fill_bandung_address(
    page, *, name: str = "Rina Pembeli", phone: str = "0812 3456 7890", email: str | None = None
) -> None:
    """Checkout step 1 in English, down to a village in Bandung, then on to shipping."""
    import re

    page.get_by_label("Recipient name").fill(name)
    if email is not None:
        page.get_by_label("Email").fill(email)
    page.get_by_label("Mobile / WhatsApp number").fill(phone)
    page.get_by_label("Province").select_option("32")
    page.get_by_label("Regency / city").select_option("32.73")
    page.get_by_label("District (kecamatan)").select_option("32.73.01")
    page.get_by_label("Village (desa / kelurahan)").select_option("32.73.01.1001")
    page.get_by_label("Street, house number, landmarks").fill("Jl. Merdeka No. 5")
    page.get_by_label("Postal code").fill("40152")
    page.get_by_role("button", name="Continue to shipping").click()
    page.wait_for_url(re.compile(r"step=shipping"))
