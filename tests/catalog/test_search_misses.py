"""Searches that found nothing are counted per phrase and day, and only admins see them."""

from __future__ import annotations

import threading
from datetime import timedelta

from catalog.search import misses
from catalog.search.models import SearchMiss
from marketplace.auth.models import Role, utcnow
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import PASSWORD, make_product, make_user


def _counts() -> dict[str, int]:
    return {m.phrase: m.count for m in db.session.query(SearchMiss)}


def test_only_plain_first_page_searches_that_found_nothing_are_counted(client, search_backend):
    make_product(title="Gula Semut Aren")
    for q in ["Kopi Luwak!", "kopi   luwak", "gula aren"]:
        assert client.get("/search", query_string={"q": q}).status_code == 200
    for args in [
        {"q": "kopi luwak", "page": "2"},
        {"q": "kopi luwak", "category": "kopi"},
        {"q": "kopi luwak", "min_price": "5000"},
        {"q": "satu dua tiga empat lima enam tujuh"},  # more than six words: not a phrase
        {"q": "x" * 61},
        {"q": "?!"},
    ]:
        client.get("/search", query_string=args)
    assert _counts() == {"kopi luwak": 2}


def test_phrases_are_normalised():
    assert misses.phrase_of("  Kopi LUWAK, asli!! ") == "kopi luwak asli"
    assert misses.phrase_of("Café") == "cafe"
    assert misses.phrase_of("<script>") == "script"
    assert misses.phrase_of("...") == ""


def test_top_misses_sums_the_last_30_days(app_ctx):
    today = utcnow().date()
    db.session.add_all(
        [
            SearchMiss(day=today, phrase="kopi luwak", count=3),
            SearchMiss(day=today - timedelta(days=29), phrase="kopi luwak", count=2),
            SearchMiss(day=today - timedelta(days=1), phrase="tenun songket", count=4),
            SearchMiss(day=today - timedelta(days=30), phrase="madu klanceng", count=50),
        ]
    )
    db.session.commit()
    top = misses.top_misses(30)
    assert [(m.phrase, m.searches, m.days, m.last_day) for m in top] == [
        ("kopi luwak", 5, 2, today),
        ("tenun songket", 4, 1, today - timedelta(days=1)),
    ]


def test_two_requests_counting_the_same_new_phrase_lose_nothing(app):
    """Both may find no row and insert: the loser of the unique index counts on the winner's."""
    from catalog.search.base import SearchQuery

    with app.app_context():
        db.session.query(SearchMiss).delete()
        db.session.commit()
    barrier = threading.Barrier(4)

    def search() -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            misses.record(SearchQuery(text="garam bambu"), 0)
            db.session.remove()

    threads = [threading.Thread(target=search) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    with app.app_context():
        assert _counts() == {"garam bambu": 4}
        db.session.query(SearchMiss).delete()
        db.session.commit()


def test_admins_see_what_buyers_did_not_find(client):
    client.get("/search?q=kopi+luwak")
    client.get("/search?q=<b>songket</b>")
    assert client.get("/admin/search-misses").status_code == 302  # to the login page
    buyer = make_user()
    login(client, buyer.email, PASSWORD)
    assert client.get("/admin/search-misses").status_code == 403
    client.post("/account/logout", data={"csrf_token": _csrf(client)})

    admin = make_user(roles=(Role.BUYER, Role.ADMIN))
    login(client, admin.email, PASSWORD)
    html = client.get("/admin/search-misses").get_data(as_text=True)
    assert "Pencarian tanpa hasil" in html
    assert 'href="/search?q=kopi+luwak"' in html
    assert "b songket b" in html and "<b>" not in html
    assert 'href="/admin/search-misses"' in client.get("/admin/").get_data(as_text=True)


def _csrf(client) -> str:
    from tests.conftest import get_csrf

    return get_csrf(client, "/")


def test_the_nightly_optimize_forgets_counts_older_than_90_days(app_ctx):
    today = utcnow().date()
    db.session.add_all(
        [
            SearchMiss(day=today - timedelta(days=90), phrase="kopi luwak", count=1),
            SearchMiss(day=today - timedelta(days=91), phrase="kopi luwak", count=1),
            SearchMiss(day=today - timedelta(days=400), phrase="tenun songket", count=9),
        ]
    )
    db.session.commit()
    output = app_ctx.test_cli_runner().invoke(args=["search", "optimize"]).output
    assert "searches that found nothing: 2 counts older than 90 days dropped" in output
    assert _counts() == {"kopi luwak": 1}
