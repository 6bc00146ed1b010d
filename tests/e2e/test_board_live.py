"""The live board on a projector (1280x720): it follows the room without a reload, and twenty
participants fit on the screen without scrolling.

The test changes the data behind an open board by writing to the live server's database from
this process, as the journeys prepare their data, and waits for the board to show it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace import create_app
from marketplace.auth.models import Role
from marketplace.extensions import db
from sellers.training.progress import mark_completed_for_demo
from tests.e2e.conftest import CHROMIUM, require_or_skip, serve_demo
from tests.e2e.test_order_journey import PageChecks
from tests.factories import PASSWORD, add_photos, make_product, make_user
from tests.sellers.test_workshop_board import (
    STORY,
    make_workshop,
    participant,
    practice_sale,
    share,
)

PROJECTOR = {"viewport": {"width": 1280, "height": 720}}
TRAINER_EMAIL = "pelatih.papan@example.id"
ROOM_MODULES = ["buka-toko", "foto-produk", "harga", "promosi"]
NAMES = [
    "Siti Nurhaliza binti Abdullah Wahab",
    "Baiq Rahmawati",
    "Lalu Muhammad Zainuddin Abdul Madjid",
    "Ni Luh Putu Ayu Sulastri Dewi",
    "Hj. Nurul Aini",
]


def _prepare() -> None:
    """A trainer with a small workshop (the live one) and a full room of twenty."""
    trainer = make_user(email=TRAINER_EMAIL, roles=(Role.TRAINER,), name="Pelatih Papan")
    small = make_workshop(trainer, modules=["buka-toko", "harga"])
    participant(small, "Rina Pertama", minutes=0, story=STORY)
    participant(small, "Sari Kedua", minutes=1)
    full = make_workshop(trainer, modules=ROOM_MODULES)
    full.title = "Pelatihan Jualan Online dan Pengiriman Produk Desa Pringgasela, Lombok Timur"
    buyer = make_user(name="Pembeli Latihan")
    for n in range(20):
        user, seller = participant(full, f"{NAMES[n % len(NAMES)]} {n + 1}", n, story=STORY)
        mark_completed_for_demo(user, ROOM_MODULES[: n % 5])
        if n % 2:
            product = make_product(seller=seller)
            add_photos(product, 3)
            share(seller, product)
            practice_sale(full, product, buyer, shipped=n % 4 == 1)
    db.session.commit()


@pytest.fixture(scope="module")
def board_server(tmp_path_factory):
    require_or_skip(Path(CHROMIUM).exists(), f"browser tests need Chromium at {CHROMIUM}")
    base = tmp_path_factory.mktemp("board")
    with serve_demo(base, prepare=_prepare) as url:
        yield url, base / "live.sqlite", _workshops(base / "live.sqlite")


@pytest.fixture()
def projector(browser):
    context = browser.new_context(**PROJECTOR)
    page = context.new_page()
    yield page
    context.close()


def _login(page, base: str) -> None:
    page.goto(base + "/account/login?lang=en")
    page.get_by_label("Email").fill(TRAINER_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")


def _write(database: Path, change) -> None:
    """Run ``change`` against the live server's database (another process, same file)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "x"})
    with app.app_context():
        change()
        db.session.remove()
        db.engine.dispose()


def _workshops(database: Path) -> list[tuple[int, str]]:
    """(id, join code) of the trainer's workshops: the small room, then the full one."""
    found: list[tuple[int, str]] = []

    def read():
        from sqlalchemy import select

        from marketplace.auth.models import User
        from sellers.workshops.models import Workshop

        trainer = db.session.scalar(select(User).where(User.email == TRAINER_EMAIL))
        rows = db.session.execute(
            select(Workshop.id, Workshop.join_code)
            .where(Workshop.trainer_id == trainer.id)
            .order_by(Workshop.id)
        )
        found.extend((row.id, row.join_code) for row in rows)

    _write(database, read)
    return found


def _rows(page) -> list[str]:
    return page.locator("#board-grid tbody th").all_inner_texts()


def test_the_board_follows_the_room_without_a_reload(board_server, projector, tmp_path):
    url, database, workshops = board_server
    small_id, code = workshops[0]
    page = projector
    _login(page, url)
    page.goto(f"{url}/trainer/workshops/{small_id}/board?lang=en")
    assert page.locator(".board-code strong").inner_text() == code
    assert [r.split(maxsplit=1)[1] for r in _rows(page)] == ["Rina Pertama", "Sari Kedua"]
    page.evaluate("() => { window.boardNotReloaded = true; }")
    checks = PageChecks(tmp_path)
    checks(page, "board")

    def late_arrival():
        from sellers.workshops.models import Workshop

        workshop = db.session.get(Workshop, small_id)
        user, _ = participant(workshop, "Tari Terlambat", minutes=30)
        mark_completed_for_demo(user, ["harga"])

    _write(database, late_arrival)
    row = page.locator("#board-grid tbody tr", has_text="Tari Terlambat")
    row.wait_for(timeout=8000)
    # The module column of "harga" (M2) shows it done, with the quiz score, in the new row.
    cells = row.locator("td")
    module_cell = cells.nth(3).inner_text()
    assert module_cell.startswith("✓") and "/" in module_cell
    assert cells.nth(1).inner_text().startswith("–")  # no shop profile yet
    assert cells.nth(2).inner_text().startswith("–")  # the first module not begun
    assert page.evaluate("() => window.boardNotReloaded") is True
    assert len(_rows(page)) == 3
    assert all(not v for v in checks.violations.values()), checks.violations
    assert checks.html_errors() == []


def test_twenty_participants_fit_a_projector_without_scrolling(board_server, projector, tmp_path):
    url, _, workshops = board_server
    page = projector
    _login(page, url)
    page.goto(f"{url}/trainer/workshops/{workshops[1][0]}/board?lang=id")  # the longer words
    assert len(_rows(page)) == 20
    size = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert size[0] <= 1280 and size[1] <= 720, size
    bottom = page.evaluate(
        "() => document.querySelector('.board-legend').getBoundingClientRect().bottom"
    )
    assert bottom <= 720
    # Every heading and score is readable in its cell (no text cut off inside a cell); names
    # may end in an ellipsis.
    clipped = page.evaluate(
        """() => Array.from(document.querySelectorAll('#board-grid thead th, #board-grid td'))
                 .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.innerText)"""
    )
    assert clipped == []
    shot = tmp_path / "board-20.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    checks = PageChecks(tmp_path)
    checks(page, "board-20")
    assert all(not v for v in checks.violations.values()), checks.violations
