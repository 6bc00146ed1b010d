"""The PostgreSQL search backend (``SEARCH_BACKEND=postgres``), for several app servers.

Whoosh keeps its index in local files, so each server would need its own copy; here the index
is a table beside the catalogue (``search_documents``) that every server shares. Text is
analysed in Python by the same Indonesian analyzer and stored as a ``tsvector`` of the
'simple' configuration (PostgreSQL's own stemmers mangle product words); typos and
autocomplete use ``pg_trgm`` on the unstemmed title words and on the vocabulary of those words
(``search_words``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask
from sqlalchemy import text

from catalog.search.analysis import find_concepts, stem, tokens, words
from catalog.search.base import (
    FACETS,
    Found,
    SearchDocument,
    SearchQuery,
    SearchResults,
    Suggestion,
    corrected,
    sorted_facet,
    with_typo_tolerance,
)
from marketplace.extensions import db

WEIGHTS = "{0.1, 0.25, 0.5, 1.0}"  # D body, C place, B category/shop/concepts, A title

_UPSERT = text(
    """
    INSERT INTO search_documents
        (product_id, slug, title, title_raw, tsv, leaf, parent, province, seller, price,
         price_band, created)
    VALUES (:id, :slug, :title, :title_raw,
        setweight(to_tsvector('simple', :t_title), 'A')
        || setweight(to_tsvector('simple', :t_tags), 'B')
        || setweight(to_tsvector('simple', :t_place), 'C')
        || setweight(to_tsvector('simple', :t_body), 'D'),
        :leaf, :parent, :province, :seller, :price, :price_band, :created)
    ON CONFLICT (product_id) DO UPDATE SET
        slug = EXCLUDED.slug, title = EXCLUDED.title, title_raw = EXCLUDED.title_raw,
        tsv = EXCLUDED.tsv, leaf = EXCLUDED.leaf, parent = EXCLUDED.parent,
        province = EXCLUDED.province, seller = EXCLUDED.seller, price = EXCLUDED.price,
        price_band = EXCLUDED.price_band, created = EXCLUDED.created
    """
)

_ORDER = {
    "relevance": "rank DESC, created DESC, product_id",
    "newest": "created DESC, product_id",
    "price_asc": "price ASC, product_id",
    "price_desc": "price DESC, product_id",
}


_ADD_WORDS = text(
    "INSERT INTO search_words (word) SELECT unnest(CAST(:words AS text[])) ON CONFLICT DO NOTHING"
)
NEAR_WORDS = 20  # vocabulary words a typo may stand for, closest first
SUGGEST_POOL = 400  # autocomplete picks the shortest titles among this many matches


def _title_words(rows: list[dict]) -> list[str]:
    """The distinct title words of these rows, sorted: writers add them in one order, so two
    at once never wait on each other in opposite orders."""
    return sorted({w[:60] for row in rows for w in row["title_raw"].split() if w})


def _write(conn, rows: list[dict]) -> None:
    """Documents and the vocabulary of their titles, in the caller's transaction."""
    conn.execute(_UPSERT, rows)
    conn.execute(_ADD_WORDS, {"words": _title_words(rows)})


def concept_token(concept: str) -> str:
    return "concept" + concept.replace("_", "")


def _row(doc: SearchDocument) -> dict:
    # A concept the title names weighs like a title word; one from the category like the category.
    in_title = set(doc.title_concepts)
    title_concepts = " ".join(concept_token(c) for c in doc.title_concepts)
    concepts = " ".join(concept_token(c) for c in doc.concepts if c not in in_title)
    return {
        "id": doc.id,
        "slug": doc.slug,
        "title": doc.title[:120],
        "title_raw": " ".join(words(doc.title)),
        "t_title": f"{' '.join(tokens(doc.title))} {title_concepts}",
        "t_tags": f"{' '.join(tokens(doc.tags))} {concepts}",
        "t_place": " ".join(tokens(doc.place)),
        "t_body": " ".join(tokens(doc.body)),
        "leaf": doc.categories[0],
        "parent": doc.categories[-1],
        "province": doc.province,
        "seller": doc.seller,
        "price": doc.price,
        "price_band": doc.price_band,
        "created": doc.created,
    }


def tsquery(query_text: str) -> str:
    """The query's tokens as a tsquery: every word (or the concept it forms) must match."""
    toks = tokens(query_text)
    spans = {start: (end, concept) for start, end, concept in find_concepts(toks)}
    parts, i = [], 0
    while i < len(toks):
        if i in spans:
            end, concept = spans[i]
            literal = " & ".join(toks[i:end])
            parts.append(f"({concept_token(concept)} | ({literal}))")
            i = end
        else:
            parts.append(toks[i])
            i += 1
    return " & ".join(parts)  # tokens are [a-z0-9]+: nothing to escape


def rank_query(query_text: str) -> str:
    """Any of the words or of the concepts they name, alone or together: ranks within the
    matches ("woven bag" puts bags before other woven things)."""
    toks = tokens(query_text)
    terms = set(toks)
    terms |= {concept_token(c) for _s, _e, c in find_concepts(toks)}
    terms |= {concept_token(c) for t in toks for _s, _e, c in find_concepts([t])}
    return " | ".join(sorted(terms))


class PostgresBackend:
    name = "postgres"

    def __init__(self, app: Flask):
        self.app = app

    # -- writes ----------------------------------------------------------------------------
    def upsert(self, documents: Iterable[SearchDocument]) -> None:
        rows = [_row(doc) for doc in documents]
        if rows:
            with db.engine.begin() as conn:
                _write(conn, rows)

    def delete(self, product_ids: Iterable[int]) -> None:
        ids = list(product_ids)
        if ids:
            with db.engine.begin() as conn:
                conn.execute(
                    text("DELETE FROM search_documents WHERE product_id = ANY(:ids)"),
                    {"ids": ids},
                )

    def clear(self) -> None:
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM search_documents"))
            conn.execute(text("DELETE FROM search_words"))

    def warm(self) -> None:
        """Nothing to load: the index lives in the database, which keeps its own cache."""

    def optimize(self) -> str:
        """Forget vocabulary words no title uses any more, then vacuum and analyse both tables.

        A word a concurrent edit starts using again in the same instant may be dropped; the
        next write of a title with it, or a reindex, brings it back.
        """
        with db.engine.begin() as conn:
            dropped = conn.execute(
                text(
                    "DELETE FROM search_words WHERE word NOT IN ("
                    "SELECT DISTINCT left(w, 60) FROM search_documents, "
                    "unnest(string_to_array(title_raw, ' ')) AS w)"
                )
            ).rowcount
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) search_documents, search_words"))
        return f"{dropped} unused vocabulary words dropped; search tables vacuumed and analysed"

    def rebuild(
        self,
        documents: Iterable[SearchDocument],
        progress: Callable[[int], None] | None = None,
        batch: int = 2000,
    ) -> int:
        """One transaction: searches see the old documents until the new ones are complete."""
        count, rows = 0, []
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM search_documents"))
            conn.execute(text("DELETE FROM search_words"))
            for doc in documents:
                rows.append(_row(doc))
                if len(rows) >= batch:
                    _write(conn, rows)
                    count += len(rows)
                    rows = []
                    if progress:
                        progress(count)
            if rows:
                _write(conn, rows)
                count += len(rows)
        if progress:
            progress(count)
        return count

    # -- reads -----------------------------------------------------------------------------
    def _where(self, query: SearchQuery, match: str) -> tuple[str, dict]:
        clauses = [match]
        params: dict[str, object] = {}
        if query.category:
            clauses.append("(leaf = :category OR parent = :category)")
            params["category"] = query.category
        for name in ("province", "seller"):
            if value := getattr(query, name):
                clauses.append(f"{name} = :{name}")
                params[name] = value
        if query.min_price is not None:
            clauses.append("price >= :min_price")
            params["min_price"] = query.min_price
        if query.max_price is not None:
            clauses.append("price <= :max_price")
            params["max_price"] = query.max_price
        return " AND ".join(clauses), params

    def _run(self, conn, query: SearchQuery, match: str, rank: str, params: dict) -> Found:
        where, filter_params = self._where(query, match)
        params = {**params, **filter_params}
        # Clauses and rank are fixed text from this module; every value is a bound parameter.
        matching = f"SELECT *, {rank} AS rank FROM search_documents WHERE {where}"  # noqa: S608
        counts = conn.execute(
            text(
                f"""
                SELECT GROUPING(leaf), GROUPING(province), GROUPING(seller),
                       GROUPING(price_band), leaf, province, seller, price_band, count(*)
                FROM search_documents WHERE {where}
                GROUP BY GROUPING SETS ((leaf), (province), (seller), (price_band), ())
                """  # noqa: S608 - the same fixed clauses as above; no ranking needed to count
            ),
            params,
        ).all()
        total = 0
        facets: dict[str, list] = {name: [] for name in FACETS}
        for g_leaf, g_prov, g_seller, g_band, leaf, prov, seller, band, n in counts:
            if g_leaf and g_prov and g_seller and g_band:
                total = n
            elif not g_leaf:
                facets["category"].append((leaf, n))
            elif not g_prov:
                facets["province"].append((prov, n))
            elif not g_seller:
                facets["seller"].append((seller, n))
            else:
                facets["price_band"].append((band, n))
        pages = max(1, -(-total // query.per_page))
        page = min(query.page, pages)
        ids = conn.scalars(
            text(
                f"{matching} ORDER BY {_ORDER.get(query.sort, _ORDER['relevance'])} "
                "LIMIT :limit OFFSET :offset"
            ),
            {**params, "limit": query.per_page, "offset": (page - 1) * query.per_page},
        ).all()
        facets = {name: sorted_facet(items) for name, items in facets.items()}
        return Found(ids=[int(i) for i in ids], total=total, page=page, facets=facets)

    def _exact(self, conn, query: SearchQuery, query_text: str) -> Found:
        q = tsquery(query_text)
        if not q:
            return self._run(conn, query, "TRUE", "0", {})
        return self._run(
            conn,
            query,
            "tsv @@ to_tsquery('simple', :q)",
            # Ranked by every word and concept of the query, matched or not: one ts_rank call
            # (each costs a pass over the row's tsvector).
            f"ts_rank('{WEIGHTS}', tsv, to_tsquery('simple', :r))",
            {"q": q, "r": rank_query(query_text)},
        )

    def _fuzzy(self, conn, query: SearchQuery) -> Found | None:
        """Each word (3+ letters) as typed or as any title word close to it, found through the
        vocabulary, so the match itself is an ordinary full-text one on the GIN index."""
        raw = [w for w in words(query.text) if len(w) >= 3]
        if not raw:
            return None
        groups, every = [], set()
        for word in raw:
            near = conn.scalars(
                text(
                    "SELECT word FROM search_words WHERE :w <% word "
                    "ORDER BY word_similarity(:w, word) DESC, word LIMIT :n"
                ),
                {"w": word, "n": NEAR_WORDS},
            ).all()
            alternatives = sorted({t for t in (stem(word), *map(stem, near)) if t.isalnum()})
            if not alternatives:
                return None
            groups.append(f"({' | '.join(alternatives)})")
            every.update(alternatives)
        return self._run(
            conn,
            query,
            "tsv @@ to_tsquery('simple', :q)",
            f"ts_rank('{WEIGHTS}', tsv, to_tsquery('simple', :r))",
            {"q": " & ".join(groups), "r": " | ".join(sorted(every))},
        )

    def search(self, query: SearchQuery) -> SearchResults:
        with db.engine.connect() as conn:
            # Typo tolerance: "garem" is 0.5 word-similar to "garam"; the default is 0.6.
            conn.execute(text("SET LOCAL pg_trgm.word_similarity_threshold = 0.4"))
            return with_typo_tolerance(
                query,
                run=lambda query_text: self._exact(conn, query, query_text),
                did_you_mean=lambda query_text: self._did_you_mean(conn, query_text),
                run_fuzzy=lambda: self._fuzzy(conn, query),
            )

    def _did_you_mean(self, conn, query_text: str) -> str:
        def known(word: str) -> bool:
            return bool(
                conn.scalar(text("SELECT 1 FROM search_words WHERE word = :w"), {"w": word})
                or conn.scalar(
                    text(
                        "SELECT 1 FROM search_documents "
                        "WHERE tsv @@ to_tsquery('simple', :s) LIMIT 1"
                    ),
                    {"s": stem(word)},
                )
            )

        def closest(word: str) -> str | None:
            return conn.scalar(
                text(
                    "SELECT word FROM search_words WHERE word % :word "
                    "ORDER BY similarity(word, :word) DESC, word LIMIT 1"
                ),
                {"word": word},
            )

        return corrected(words(query_text), known, closest)

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        raw = words(prefix)
        if not raw or (len(raw) == 1 and len(raw[0]) < 2):
            return []
        # On the bare column, so the trigram index can serve the LIKE patterns.
        clauses = ["(title_raw LIKE :first OR title_raw LIKE :last)"]
        params: dict = {"first": f"{raw[-1]}%", "last": f"% {raw[-1]}%", "limit": limit}
        for i, word in enumerate(raw[:-1]):
            clauses.append(f"(' ' || title_raw || ' ') LIKE :w{i}")
            params[f"w{i}"] = f"% {word} %"
        with db.engine.connect() as conn:
            # The shortest titles among the first few hundred matches: a common prefix ("ko")
            # matches tens of thousands of rows, and sorting them all is what costs.
            rows = conn.execute(
                text(
                    "SELECT title, slug FROM (SELECT title, slug FROM search_documents "  # noqa: S608
                    f"WHERE {' AND '.join(clauses)} LIMIT :pool) candidates "
                    "ORDER BY length(title), title LIMIT :limit"
                ),
                {**params, "pool": SUGGEST_POOL},
            ).all()
        return [Suggestion(title=title, slug=slug) for title, slug in rows]
