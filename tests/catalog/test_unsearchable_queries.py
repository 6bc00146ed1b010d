"""A query with nothing searchable in it (emoji, ``*``, one letter, another script …) finds
nothing on every surface, instead of listing the whole catalogue as its "results"."""

from __future__ import annotations

import pytest

from catalog.search.analysis import has_search_terms
from tests.factories import make_product

UNSEARCHABLE = ["🍜🍜", "*", "%", "a", "سكر", "?!.,;:-", " 🍜 * ", "'\"()"]
TITLES = ("Garam Laut Pemongkong", "Kopi Robusta Sembalun")
PROMPT = "Ketik yang Anda cari, misalnya gula semut, terasi, atau tenun."


@pytest.fixture()
def catalogue(search_backend):
    return [make_product(title=title) for title in TITLES]


@pytest.mark.parametrize("q", UNSEARCHABLE)
def test_the_analyzer_finds_no_search_terms(q):
    assert not has_search_terms(q)
    assert not has_search_terms(q, prefix=True)


@pytest.mark.parametrize("q", ["garam", "kopi robusta", "ab", "52", "a kopi"])
def test_words_of_two_letters_or_digits_are_searchable(q):
    assert has_search_terms(q)


def test_a_stop_word_is_only_searchable_as_a_prefix():
    assert not has_search_terms("ke")
    assert has_search_terms("ke", prefix=True)  # the start of "keripik"


@pytest.mark.parametrize("q", UNSEARCHABLE)
def test_search_page_says_there_is_nothing_to_search_for(client, catalogue, q):
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert PROMPT in html
    for title in TITLES:
        assert title not in html
    assert "Hasil untuk" not in html and "Results for" not in html


def test_search_page_still_finds_real_words(client, catalogue):
    html = client.get("/search", query_string={"q": "garam"}).get_data(as_text=True)
    assert TITLES[0] in html and TITLES[1] not in html
    assert PROMPT not in html


@pytest.mark.parametrize("q", UNSEARCHABLE)
def test_api_returns_no_products(client, catalogue, q):
    response = client.get("/api/v1/products", query_string={"q": q})
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert data["items"] == [] and data["total"] == 0
    assert data["next"] is None
    for title in TITLES:
        assert title not in response.get_data(as_text=True)


def test_api_without_words_still_lists_everything(client, catalogue):
    data = client.get("/api/v1/products").get_json()
    assert data["total"] == len(TITLES)


@pytest.mark.parametrize("q", UNSEARCHABLE)
def test_suggest_returns_nothing(client, catalogue, q):
    response = client.get("/search/suggest", query_string={"q": q})
    assert response.status_code == 200
    assert response.get_json() == []


def test_suggest_still_completes_a_prefix(client, catalogue):
    data = client.get("/search/suggest", query_string={"q": "gar"}).get_json()
    assert [item["title"] for item in data] == [TITLES[0]]
