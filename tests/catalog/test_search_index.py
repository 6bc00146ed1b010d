"""The index follows the database: after commit, never before, never after a rollback; two
writers at once; a lost or damaged index is rebuilt instead of failing; the search page and
autocomplete under bad input."""

from __future__ import annotations

import logging
import runpy
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import delete

from catalog import search
from catalog import services as catalog
from catalog.models import Product, ProductImage, ProductStatus
from catalog.search import SearchQuery
from catalog.search.base import SearchDocument
from catalog.search.whoosh_backend import WhooshBackend
from marketplace.extensions import db
from sellers import services as seller_services
from sellers.models import SellerStatus
from tests.factories import make_category, make_product, make_seller


def _found(text: str) -> list[int]:
    return search.search(SearchQuery(text=text)).ids


def test_published_product_appears_after_commit_and_follows_changes(app_ctx, search_backend):
    product = make_product(title="Gula Semut Longseran", status=ProductStatus.DRAFT)
    assert _found("longseran") == []  # drafts are not public
    product.status = ProductStatus.PUBLISHED.value
    db.session.flush()
    assert _found("longseran") == []  # flushed is not committed
    db.session.commit()
    assert _found("longseran") == [product.id]

    product.title = "Gula Aren Kelapa Jurit"
    db.session.commit()
    assert _found("longseran") == []
    assert _found("jurit") == [product.id]

    catalog.set_product_status(product, ProductStatus.ARCHIVED)
    assert _found("jurit") == []


def test_rollback_leaves_the_index_as_it_was(app_ctx, search_backend):
    product = make_product(title="Terasi Pemongkong Asli")
    product.title = "Terasi Bukan Ini"
    db.session.flush()
    db.session.rollback()
    assert _found("pemongkong") == [product.id]
    assert _found("bukan") == []

    db.session.add(
        Product(
            seller=product.seller,
            category=product.category,
            title="Madu Yang Batal",
            slug="madu-yang-batal",
            price=10000,
            status=ProductStatus.PUBLISHED.value,
        )
    )
    db.session.flush()
    db.session.rollback()
    assert _found("batal") == []


def test_deleted_product_leaves_the_index(app_ctx, search_backend):
    product = make_product(title="Kopi Robusta Terhapus")
    assert _found("terhapus") == [product.id]
    db.session.execute(delete(ProductImage).where(ProductImage.product_id == product.id))
    db.session.delete(product)
    db.session.commit()
    assert _found("terhapus") == []


def test_seller_suspension_hides_all_their_products(app_ctx, search_backend):
    seller = make_seller()
    products = [make_product(seller=seller, title=f"Tenun Sukarara {i}") for i in range(3)]
    assert sorted(_found("sukarara")) == sorted(p.id for p in products)
    seller_services.set_status(seller, SellerStatus.SUSPENDED)
    assert _found("sukarara") == []
    seller_services.set_status(seller, SellerStatus.VERIFIED)
    assert len(_found("sukarara")) == 3


def test_category_rename_reaches_its_products(app_ctx, search_backend):
    category = make_category("kain-tenun")
    product = make_product(category=category, title="Selendang Merah")
    category.name_id = "Kain Songket"
    db.session.commit()
    assert _found("songket") == [product.id]


def _doc(i: int) -> SearchDocument:
    return SearchDocument(
        id=i,
        slug=f"p-{i}",
        title=f"Keripik Uji {i}",
        body="",
        place="",
        tags="",
        concepts=(),
        categories=("keripik", "camilan"),
        province="52",
        seller="toko",
        price=10000 + i,
        created=i,
        in_stock=True,
    )


def test_two_writers_at_once_lose_nothing(tmp_path):
    directory = tmp_path / "index"
    WhooshBackend(directory).clear()
    errors = []

    def write(start: int) -> None:
        backend = WhooshBackend(directory)  # like a second gunicorn worker: its own handle
        try:
            for i in range(start, start + 20):
                backend.upsert([_doc(i)])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n * 100,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    results = WhooshBackend(directory).search(SearchQuery(text="keripik", per_page=100))
    assert results.total == 40


def test_workers_opening_while_another_writes_never_rebuild(tmp_path):
    """A worker opening the index just as another commits may find a file it listed already
    replaced: it opens again, and never mistakes the index for a damaged one."""
    directory = tmp_path / "index"
    WhooshBackend(directory).upsert([_doc(i) for i in range(5)])
    rebuilds, errors, done = [], [], threading.Event()

    def write() -> None:
        backend = WhooshBackend(directory)
        try:
            for i in range(100, 160):
                backend.upsert([_doc(i)])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            done.set()

    def open_and_search() -> None:
        try:
            while not done.is_set():
                fresh = WhooshBackend(directory, rebuild=lambda: rebuilds.append(1))
                assert fresh.search(SearchQuery(text="keripik")).total >= 5
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write)] + [
        threading.Thread(target=open_and_search) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and rebuilds == []
    assert WhooshBackend(directory).search(SearchQuery(text="keripik", per_page=100)).total == 65


def test_workers_finding_the_index_missing_rebuild_it_once(tmp_path):
    """All gunicorn workers start at once on a new server: one builds, the others wait for it."""
    directory = tmp_path / "index"
    built, errors, totals = [], [], []
    ready = threading.Barrier(3)

    def worker() -> None:
        backend = None

        def rebuild() -> None:
            built.append(threading.get_ident())
            backend.rebuild(_doc(i) for i in range(30))

        backend = WhooshBackend(directory, rebuild=rebuild)
        try:
            ready.wait(timeout=30)
            totals.append(backend.search(SearchQuery(text="keripik", per_page=100)).total)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(built) == 1 and totals == [30, 30, 30]


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_lost_or_damaged_index_is_rebuilt_from_the_database(app_ctx, caplog, damage):
    product = make_product(title="Garam Krosok Ekas")
    directory = search.backend().directory
    if damage == "missing":
        search.backend().clear()
        for path in directory.iterdir():
            path.unlink()
        directory.rmdir()
    else:
        for path in directory.glob("_MAIN_*.toc"):
            path.write_bytes(b"not an index")
    fresh = search._make_backend(app_ctx)
    app_ctx.extensions["search"] = fresh
    with caplog.at_level(logging.INFO):
        assert _found("ekas") == [product.id]
    expected = "is missing" if damage == "missing" else "is unreadable"
    assert f"{expected} " in caplog.text and "rebuilding it from the database" in caplog.text


def test_reindex_command_rebuilds_everything(app_ctx, search_backend):
    products = [make_product(title=f"Kopi Reindex {i}") for i in range(3)]
    search.backend().clear()
    assert _found("reindex") == []
    result = app_ctx.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "3 public products" in result.output
    assert sorted(_found("reindex")) == sorted(p.id for p in products)


def test_a_product_saved_during_a_reindex_reaches_the_new_index(app_ctx, monkeypatch):
    """A seller saves while ``search reindex`` builds the new Whoosh index beside the old one:
    the hook writes the change to the old index, and the rebuild had read the product before."""
    from catalog.search import documents

    product = make_product(title="Madu Hutan Sumbawa")
    read_everything = documents.public_documents

    def built_while_a_seller_edits(session):
        docs = list(read_everything(session))  # the old title
        product.title = "Madu Klanceng Sumbawa"
        db.session.commit()  # indexed at once, into the index about to be replaced
        assert _found("klanceng") == [product.id]
        yield from docs

    monkeypatch.setattr(documents, "public_documents", built_while_a_seller_edits)
    assert search.reindex() == 1
    assert _found("klanceng") == [product.id]
    assert _found("hutan") == []


# -- the search page and autocomplete under bad input ----------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "*",
        ":",
        "AND",
        "(",
        "'",
        "--",
        "%",
        "gula AND (aren OR",
        "kopi*",
        'title:"x',
        "x" * 2000,
    ],
)
def test_syntax_characters_and_long_queries_are_just_text(client, q):
    make_product(title="Gula Aren Sesaot")
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200


def test_query_is_reflected_escaped(client):
    html = client.get("/search?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_search_page_shows_results_snippets_facets_and_filters(client, search_backend):
    category = make_category("gula-pemanis")
    product = make_product(
        category=category,
        title="Gula Semut Aren",
        description="Gula aren bubuk dari nira aren hutan, dimasak di tungku kayu.",
        price=25000,
    )
    html = client.get("/search?q=gula+aren").get_data(as_text=True)
    assert f'href="/p/{product.slug}"' in html
    assert "<mark>aren</mark>" in html  # the snippet marks what matched
    assert "/search?q=gula+aren&amp;category=gula-pemanis" in html  # facet link
    assert "/search?q=gula+aren&amp;min_price=25000&amp;max_price=49999" in html
    narrowed = client.get("/search?q=gula+aren&category=gula-pemanis").get_data(as_text=True)
    assert f'href="/p/{product.slug}"' in narrowed
    assert "hapus filter" in narrowed  # the filter in use can be removed
    empty = client.get("/search?q=gula+aren&category=tidak-ada").get_data(as_text=True)
    assert f'href="/p/{product.slug}"' not in empty


@pytest.mark.parametrize(
    ("args", "status", "text"),
    [
        ({"q": ""}, 200, "Ketik yang Anda cari"),
        ({"q": "gula", "sort": "bogus"}, 200, ""),
        ({"q": "gula", "category": "../../etc"}, 200, ""),
        ({"q": "gula", "page": "abc"}, 200, ""),
        ({"q": "gula", "page": "10000"}, 400, "terlalu jauh"),
        ({"q": "gula", "min_price": "murah"}, 400, "rupiah bulat"),
        ({"q": "gula", "max_price": "³"}, 400, "rupiah bulat"),  # a digit to isdigit, not to int
        ({"q": "gula", "min_price": "٢٥٠٠٠"}, 400, "rupiah bulat"),
        ({"q": "gula", "max_price": "Rp 50.000"}, 200, ""),
    ],
)
def test_bad_parameters_give_a_page_or_a_400_with_a_message(client, args, status, text):
    response = client.get("/search", query_string=args)
    assert response.status_code == status
    assert text in response.get_data(as_text=True)


def test_suggest_returns_json_and_survives_odd_input(client, search_backend):
    product = make_product(title="Terasi Udang Rebon")
    data = client.get("/search/suggest?q=teras").get_json()
    assert data == [{"title": "Terasi Udang Rebon", "url": f"/p/{product.slug}"}]
    for q in ["", "t", '"(*', "x" * 2000]:
        response = client.get("/search/suggest", query_string={"q": q})
        assert response.status_code == 200 and isinstance(response.get_json(), list)


def test_gunicorn_worker_loads_the_search_index_before_requests(app_ctx, caplog):
    """``gunicorn.conf.py`` (read by gunicorn from the project folder) warms each worker."""
    make_product(title="Kopi Robusta Tanggamus")
    hooks = runpy.run_path(str(Path(__file__).parents[2] / "gunicorn.conf.py"))
    backend = WhooshBackend(app_ctx.config["SEARCH_INDEX_DIR"])  # a fresh worker's backend
    app_ctx.extensions["search"], default = backend, app_ctx.extensions["search"]
    try:
        assert backend._segments._segments == {}
        with caplog.at_level(logging.INFO):
            hooks["post_worker_init"](SimpleNamespace(wsgi=app_ctx, log=logging.getLogger("w")))
        [segment] = backend._segments._segments.values()
        assert segment.count == 1 and set(segment._lengths) == {"text", "concepts"}
        assert "search index loaded in" in caplog.text
        assert search.search(SearchQuery(text="tanggamus")).total == 1

        # A failure to warm is logged, and the worker still starts.
        broken = SimpleNamespace(warm=lambda: 1 / 0)
        app_ctx.extensions["search"] = broken
        hooks["post_worker_init"](SimpleNamespace(wsgi=app_ctx, log=logging.getLogger("w")))
        assert "search index not loaded ahead of requests" in caplog.text
    finally:
        app_ctx.extensions["search"] = default


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("search_backend", ["postgres"], indirect=True)
def test_postgres_vocabulary_follows_the_titles_and_serves_typos(app_ctx, search_backend):
    """The PostgreSQL backend's typo matching looks for close words in ``search_words``."""
    from sqlalchemy import text

    def vocabulary() -> set[str]:
        return set(db.session.scalars(text("SELECT word FROM search_words")))

    product = make_product(title="Tas Ketak Lombok Anyaman Halus")
    assert {"tas", "ketak", "lombok", "anyaman", "halus"} <= vocabulary()

    typo = search.search(SearchQuery(text="ketakk"))
    assert typo.ids == [product.id] and typo.suggestion == "ketak"
    fuzzy = search.search(SearchQuery(text="tass kettak"))  # two typos, no single correction
    assert product.id in fuzzy.ids and fuzzy.fuzzy

    product.title = "Tas Rotan Sasak"
    db.session.commit()
    search.reindex()  # a rebuild forgets words no title uses any more
    assert "ketak" not in vocabulary() and {"rotan", "sasak"} <= vocabulary()
    search_backend.clear()
    assert vocabulary() == set()


def _whoosh_shape(backend) -> tuple[int, int, int]:
    """(segments, documents stored, documents live) of a Whoosh index."""
    with backend._open().searcher() as searcher:
        return len(searcher.reader().leaf_readers()), searcher.doc_count_all(), searcher.doc_count()


def test_optimize_compacts_without_changing_answers(app_ctx, search_backend):
    """``flask search optimize`` (nightly): fewer segments or words, the same results."""
    from sqlalchemy import text

    keep = [make_product(title=f"Keripik Tempe Rasa {n}") for n in range(3)]
    gone = make_product(title="Keripik Singkong Balado")
    for product in keep:  # each edit a new Whoosh segment; the old version marked deleted
        product.price += 1000
        db.session.commit()
    gone.title = "Keripik Pisang Manis"
    db.session.commit()
    query = SearchQuery(text="keripik", sort="price_asc")
    before = search.search(query)
    assert before.total == 4
    if search_backend.name == "whoosh":
        segments, stored, live = _whoosh_shape(search_backend)
        assert segments > 1 and stored > live == 4  # something to compact

    output = app_ctx.test_cli_runner().invoke(args=["search", "optimize"]).output

    after = search.search(query)
    assert (after.ids, after.total, after.facets) == (before.ids, before.total, before.facets)
    if search_backend.name == "whoosh":
        assert output.startswith(
            f"search index optimised: {segments} segments and {stored - live} deleted "
            "documents merged into one segment\n"
        )
        assert _whoosh_shape(search_backend) == (1, 4, 4)
    else:
        assert output.startswith("search index optimised: 2 unused vocabulary words dropped")
        words = set(db.session.scalars(text("SELECT word FROM search_words")))
        assert "singkong" not in words and {"pisang", "tempe"} <= words
