"""Search tables: the PostgreSQL backend's documents and vocabulary, and searches that found
nothing (``SearchMiss``, written whatever the backend).

``search_documents`` holds one row per public product; only ``SEARCH_BACKEND=postgres``
writes it. ``tsv`` holds the same analysed tokens as the
Whoosh index (weighted: title A, category and shop B, place C, description D, plus concept
tags), so both backends rank from the same words; ``title_raw`` keeps unstemmed title words for
``pg_trgm`` typo matching and autocomplete. On SQLite the columns are plain text and unused.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db

TsVector = Text().with_variant(TSVECTOR(), "postgresql")


class SearchDocumentRow(db.Model):
    __tablename__ = "search_documents"
    __table_args__ = (
        Index("ix_search_documents_tsv", "tsv", postgresql_using="gin"),
        Index(
            "ix_search_documents_title_raw_trgm",
            "title_raw",
            postgresql_using="gin",
            postgresql_ops={"title_raw": "gin_trgm_ops"},
        ),
    )

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(String(140))
    title: Mapped[str] = mapped_column(String(120))
    title_raw: Mapped[str] = mapped_column(Text)
    tsv: Mapped[str] = mapped_column(TsVector)
    leaf: Mapped[str] = mapped_column(String(60), index=True)
    parent: Mapped[str] = mapped_column(String(60), index=True)
    province: Mapped[str] = mapped_column(String(2), index=True)
    seller: Mapped[str] = mapped_column(String(90), index=True)
    price: Mapped[int] = mapped_column(index=True)
    price_band: Mapped[str] = mapped_column(String(10))
    created: Mapped[int] = mapped_column(BigInteger, index=True)


class SearchWord(db.Model):
    """Every unstemmed title word the PostgreSQL backend has indexed: its vocabulary.

    "Did you mean" and typo matching look for the closest words here (a few thousand rows)
    instead of in every document's title. Words are added as documents are written and only
    removed by a rebuild: a word left by a deleted product can be suggested, finds nothing, and
    the search falls back to fuzzy matching as for any other typo.
    """

    __tablename__ = "search_words"
    __table_args__ = (
        Index(
            "ix_search_words_word_trgm",
            "word",
            postgresql_using="gin",
            postgresql_ops={"word": "gin_trgm_ops"},
        ),
    )

    word: Mapped[str] = mapped_column(String(60), primary_key=True)


class SearchMiss(db.Model):
    """How often a phrase found nothing on a day: what buyers want that no shop lists yet.

    Counted, never tied to a visitor (no account, address or time of day is kept).
    """

    __tablename__ = "search_misses"
    __table_args__ = (UniqueConstraint("day", "phrase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # first column of the unique index: by day is fast
    phrase: Mapped[str] = mapped_column(String(60))
    count: Mapped[int] = mapped_column(default=1)
