"""Turning products into search documents, and loading them from the database."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload, selectinload

from catalog.models import Category, Product, ProductStatus
from catalog.search.analysis import concepts_of
from catalog.search.base import SearchDocument
from catalog.shops import Seller, SellerStatus
from marketplace import regions


def place_names(village_code: str) -> str:
    """Village, district, regency and province names: the ``place`` text that is indexed."""
    codes = regions.chain(village_code)
    return " ".join(
        regions.name(codes[level]).replace("Kabupaten ", "").replace("Kota ", "")
        for level in ("village_code", "district_code", "regency_code", "province_code")
    )


def _category_names(category: Category) -> str:
    names = [category.name_id, category.name_en]
    if category.parent is not None:
        names += [category.parent.name_id, category.parent.name_en]
    return " ".join(names)


def document_for(product: Product) -> SearchDocument:
    category = product.category
    categories = (category.slug, category.parent.slug) if category.parent else (category.slug,)
    category_names = _category_names(category)
    return SearchDocument(
        id=product.id,
        slug=product.slug,
        title=product.title,
        body=" ".join(
            part for part in (product.description, product.ingredients, product.net_weight) if part
        ),
        place=place_names(product.village_code),
        tags=f"{category_names} {product.seller.shop_name}",
        # Concepts come from the title and category only: a description that mentions coffee
        # ("teman minum kopi") must not make palm sugar an answer to "coffee".
        concepts=tuple(sorted(concepts_of(f"{product.title} {category_names}"))),
        categories=categories,
        province=regions.chain(product.village_code)["province_code"],
        seller=product.seller.slug,
        price=product.price,
        created=int(product.created_at.timestamp() * 1_000_000),
        in_stock=product.in_stock,
    )


def _public_query():
    return (
        select(Product)
        .join(Product.seller)
        .where(
            Product.status == ProductStatus.PUBLISHED.value,
            Seller.status == SellerStatus.VERIFIED.value,
            Product.practice_workshop_id.is_(None),  # practice products are never searchable
        )
        .options(
            selectinload(Product.category).selectinload(Category.parent),
            lazyload(Product.images),  # documents carry no photos
        )
        .order_by(Product.id)
    )


def public_documents(session: Session, batch: int = 1000) -> Iterator[SearchDocument]:
    """Every public product as a document, read in batches (a rebuild of 100,000 rows)."""
    last_id = 0
    while True:
        rows = list(session.scalars(_public_query().where(Product.id > last_id).limit(batch)))
        if not rows:
            return
        for product in rows:
            yield document_for(product)
        last_id = rows[-1].id
        session.expunge_all()


def documents_for_ids(
    session: Session, ids: Iterable[int]
) -> tuple[list[SearchDocument], set[int]]:
    """(documents of the ids that are public now, ids that must leave the index).

    A workshop's practice products were never indexed, so their edits cost no index write.
    """
    wanted = set(ids)
    if not wanted:
        return [], set()
    products = list(session.scalars(_public_query().where(Product.id.in_(wanted))))
    found = {p.id for p in products}
    practice = set(
        session.scalars(
            select(Product.id).where(
                Product.id.in_(wanted - found), Product.practice_workshop_id.is_not(None)
            )
        )
    )
    return [document_for(p) for p in products], wanted - found - practice


def product_ids_of(session: Session, seller_ids=(), category_ids=()) -> set[int]:
    """Products whose documents change when a seller or a category changes."""
    ids: set[int] = set()
    real = Product.practice_workshop_id.is_(None)
    if seller_ids:
        ids |= set(
            session.scalars(select(Product.id).where(Product.seller_id.in_(seller_ids), real))
        )
    if category_ids:
        ids |= set(
            session.scalars(select(Product.id).where(Product.category_id.in_(category_ids), real))
        )
    return ids
