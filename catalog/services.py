"""Catalogue use cases: what buyers browse and what sellers manage.

Each function that changes data is one transaction and commits once (DESIGN §4.5); views call
these and never touch the session themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import Select, UnaryExpression, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from catalog import derived
from catalog.images import IMAGE_PREFIX, process_image, store_processed, variant_names
from catalog.models import Category, Product, ProductImage, ProductStatus
from catalog.shops import Seller, SellerStatus
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.pagination import Paged
from marketplace.storage import public_storage
from marketplace.text import unique_slug

SORTS: dict[str, tuple[UnaryExpression, ...]] = {
    "newest": (Product.created_at.desc(), Product.id.desc()),
    "price_asc": (Product.price.asc(), Product.id.asc()),
    "price_desc": (Product.price.desc(), Product.id.desc()),
    "title": (Product.title.asc(), Product.id.asc()),
}
DEFAULT_SORT = "newest"


def public_products() -> Select[Product]:
    """Published products of verified shops: the only ones a buyer may ever see.

    A workshop's practice products never are, whatever their status says: every public page,
    the API and the search pages start from this query, so the mark is checked here once.
    """
    return (
        select(Product)
        .join(Product.seller)
        .where(Product.status == ProductStatus.PUBLISHED.value)
        .where(Seller.status == SellerStatus.VERIFIED.value)
        .where(Product.practice_workshop_id.is_(None))
    )


# --- browsing -----------------------------------------------------------------------------


def top_categories() -> list[Category]:
    return list(
        db.session.scalars(
            select(Category)
            .where(Category.parent_id.is_(None))
            .order_by(Category.position)
            .options(selectinload(Category.children))
        )
    )


@dataclass(frozen=True)
class CategoryShown:
    """A category as its page shows it, with its parent and children: categories change
    rarely, so this is kept until the catalogue changes rather than read on every request."""

    id: int
    slug: str
    name_id: str
    name_en: str
    parent: CategoryShown | None = None
    children: tuple[CategoryShown, ...] = ()

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_id

    @classmethod
    def of(cls, category: Category, family: bool = True) -> CategoryShown:
        return cls(
            id=category.id,
            slug=category.slug,
            name_id=category.name_id,
            name_en=category.name_en,
            parent=cls.of(category.parent, False) if family and category.parent else None,
            children=tuple(cls.of(c, False) for c in category.children) if family else (),
        )


def get_category(slug: str) -> CategoryShown:
    def load() -> CategoryShown | None:
        found = db.session.scalar(
            select(Category)
            .where(Category.slug == slug)
            .options(selectinload(Category.children), selectinload(Category.parent))
        )
        return CategoryShown.of(found) if found is not None else None

    key = ("category", slug)
    shown = derived.peek(key)
    if shown is None:
        loaded = load()
        if loaded is None:  # not kept: random addresses must not crowd out the kept cards
            raise NotFound(slug)
        shown = derived.remember(key, lambda: loaded)
    return shown


def category_ids(category: Category | CategoryShown) -> list[int]:
    return [category.id, *(child.id for child in category.children)]


@dataclass
class Page(Paged):
    items: list
    page: int
    per_page: int
    total: int


# How a listing turns the ids it found into what the page shows: full products by default;
# the storefront passes ``catalog.cards.listed``, which loads only products whose card it has
# not drawn yet.
Loader = Callable[[list[int]], list]


def _ids(query) -> list[int]:
    """The ids of ``query``'s products in its order (no product, shop or photo is loaded)."""
    return list(db.session.scalars(query.with_only_columns(Product.id)))


def _paginate(
    build: Callable[[], Select], page: int, per_page: int, key: tuple, order: str, load: Loader
) -> Page:
    """One page of the listing ``build()`` makes. Its count, and the ids on each of its pages,
    change only with the catalogue, so they are kept (``catalog.derived``) under ``key`` (and
    the order and page) until it changes: counting a large category cost more than fetching
    its page, and building and running the page's query more than drawing its kept cards."""
    total = derived.remember(
        ("count", *key),
        lambda: db.session.scalar(
            select(func.count()).select_from(build().order_by(None).subquery())
        ),
    )
    ids = derived.remember(
        ("ids", *key, order, page, per_page),
        lambda: _ids(build().limit(per_page).offset((page - 1) * per_page)),
    )
    return Page(items=load(list(ids)), page=page, per_page=per_page, total=total or 0)


def list_category(
    category: Category | CategoryShown, sort: str, page: int, load: Loader | None = None
) -> Page:
    sort = sort if sort in SORTS else DEFAULT_SORT
    in_category = category_ids(category)

    def build() -> Select:
        return public_products().where(Product.category_id.in_(in_category)).order_by(*SORTS[sort])

    per_page = current_app.config["PRODUCTS_PER_PAGE"]
    return _paginate(
        build, page, per_page, ("category", category.id), sort, load or products_in_order
    )


def featured_products(limit: int, load: Loader | None = None) -> list:
    query = (
        public_products()
        .where(Product.featured.is_(True))
        .order_by(Product.created_at.desc(), Product.id.desc())
        .limit(limit)
    )
    return (load or products_in_order)(_ids(query))


def newest_products(limit: int, load: Loader | None = None) -> list:
    query = public_products().order_by(*SORTS["newest"]).limit(limit)
    return (load or products_in_order)(_ids(query))


def seller_villages() -> list[tuple[str, int]]:
    """Villages with verified shops and how many shops each has, for the home page."""
    rows = db.session.execute(
        select(Seller.village_code, func.count(Seller.id))
        .where(Seller.status == SellerStatus.VERIFIED.value, Seller.village_code != "")
        .group_by(Seller.village_code)
        .order_by(func.count(Seller.id).desc(), Seller.village_code)
    )
    return [(code, count) for code, count in rows]


def get_public_product(slug: str) -> Product:
    product = db.session.scalar(public_products().where(Product.slug == slug))
    if product is None:
        raise NotFound(slug)
    return product


def seller_for(user) -> Seller | None:
    """The shop a logged-in user owns, if any (seller pages in orders and sellers start here)."""
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(select(Seller).where(Seller.owner_id == user.id))


def get_public_seller(slug: str) -> Seller:
    seller = db.session.scalar(
        select(Seller).where(Seller.slug == slug, Seller.status == SellerStatus.VERIFIED.value)
    )
    if seller is None:
        raise NotFound(slug)
    return seller


def list_seller_products(seller: Seller, page: int, load: Loader | None = None) -> Page:
    def build() -> Select:
        return public_products().where(Product.seller_id == seller.id).order_by(*SORTS["newest"])

    per_page = current_app.config["PRODUCTS_PER_PAGE"]
    return _paginate(
        build, page, per_page, ("shop", seller.id), "newest", load or products_in_order
    )


def related_products(product: Product, limit: int = 4, load: Loader | None = None) -> list:
    query = (
        public_products()
        .where(Product.category_id == product.category_id, Product.id != product.id)
        .order_by(*SORTS["newest"])
        .limit(limit)
    )
    return (load or products_in_order)(_ids(query))


def all_categories() -> list[Category]:
    """Leaf categories grouped under their parents, in display order, for product forms."""
    return list(
        db.session.scalars(
            select(Category)
            .where(Category.parent_id.is_not(None))
            .order_by(Category.parent_id, Category.position)
        )
    )


# --- seller back office --------------------------------------------------------------------


@dataclass
class ProductData:
    title: str
    category_id: int
    description: str = ""
    price: int = 0
    stock: int = 0
    weight_grams: int = 0
    net_weight: str = ""
    pirt_number: str = ""
    bpom_number: str = ""
    halal_number: str = ""
    ingredients: str = ""
    best_before: str = ""
    origin_village_code: str = ""
    extra: dict = field(default_factory=dict)


EDITABLE_FIELDS = (
    "title",
    "category_id",
    "description",
    "price",
    "stock",
    "weight_grams",
    "net_weight",
    "pirt_number",
    "bpom_number",
    "halal_number",
    "ingredients",
    "best_before",
    "origin_village_code",
)


class CatalogError(DomainError):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def unique_product_slug(title: str, exclude_id: int | None = None) -> str:
    return unique_slug(Product, title, exclude_id, max_length=120)


def seller_products(seller: Seller) -> list[Product]:
    return list(
        db.session.scalars(
            select(Product)
            .where(Product.seller_id == seller.id)
            .order_by(Product.updated_at.desc(), Product.id.desc())
        ).unique()
    )


def get_own_product(seller: Seller | None, product_id: int) -> Product:
    """Another seller's product is "not found", never "forbidden": ids must not leak."""
    product = db.session.get(Product, product_id) if seller else None
    if product is None or seller is None or product.seller_id != seller.id:
        raise NotFound(product_id)
    return product


def create_product(
    seller: Seller, data: ProductData, *, practice_workshop_id: int | None = None
) -> Product:
    """A new draft; ``practice_workshop_id`` makes it a workshop's practice product for good."""
    product = Product(
        seller=seller,
        status=ProductStatus.DRAFT.value,
        practice_workshop_id=practice_workshop_id,
    )
    _apply(product, data)
    product.slug = unique_product_slug(data.title)
    db.session.add(product)
    _commit_retrying_slug(product)
    return product


def update_product(product: Product, data: ProductData) -> Product:
    title_changed = product.title != data.title
    _apply(product, data)
    if title_changed and product.status not in LIVE_STATUSES:
        # Published links are shared on WhatsApp; their URL stays stable once live.
        product.slug = unique_product_slug(data.title, exclude_id=product.id)
    _commit_retrying_slug(product)
    return product


def _apply(product: Product, data: ProductData) -> None:
    if db.session.get(Category, data.category_id) is None:
        raise CatalogError("unknown category", field="category_id")
    for name in EDITABLE_FIELDS:
        setattr(product, name, getattr(data, name))


def _commit_retrying_slug(product: Product) -> None:
    try:
        db.session.commit()
    except IntegrityError:
        # Two sellers saving the same title at once: take the next free slug and retry once.
        db.session.rollback()
        product.slug = unique_product_slug(product.title, exclude_id=product.id)
        db.session.add(product)
        db.session.commit()


def publish_problems(product: Product) -> list[str]:
    """What stops a product from going live, as message ids the view translates."""
    problems = []
    if not product.images:
        problems.append("no_photo")
    if product.price <= 0:
        problems.append("no_price")
    if product.weight_grams <= 0:
        problems.append("no_weight")
    return problems


LIVE_STATUSES = (ProductStatus.PUBLISHED.value, ProductStatus.PRACTICE.value)


def live_status_for(product: Product) -> ProductStatus:
    """What "publish" means for this product: the store, or only its workshop's market."""
    return ProductStatus.PRACTICE if product.practice_workshop_id else ProductStatus.PUBLISHED


def set_product_status(product: Product, status: ProductStatus) -> Product:
    """``PRACTICE`` is the published state of a practice product: such a product can never
    become ``PUBLISHED`` and a real one never ``PRACTICE``, so no status change leaks a
    workshop's product into the store."""
    if status in (ProductStatus.PUBLISHED, ProductStatus.PRACTICE):
        if status != live_status_for(product):
            raise CatalogError("wrong live status", field="status")
        if publish_problems(product):
            raise CatalogError("cannot publish", field="status")
    product.status = status.value
    db.session.commit()
    return product


def add_product_images(product: Product, files: list[tuple[bytes, str]]) -> list[ProductImage]:
    """Process every file first, store after: a bad file refuses the batch and writes nothing."""
    limit = current_app.config["MAX_IMAGES_PER_PRODUCT"]
    if len(product.images) + len(files) > limit:
        raise CatalogError(f"too_many:{limit}", field="photos")
    processed = [
        (process_image(data, max_bytes=current_app.config["MAX_IMAGE_BYTES"]), alt)
        for data, alt in files
    ]
    storage = public_storage()
    new_names: list[str] = []
    try:
        for item, _alt in processed:
            new_names += [n for n in item.variants if not storage.exists(n)]
            store_processed(storage, item)
        position = max((img.position for img in product.images), default=-1) + 1
        created = []
        for offset, (item, alt) in enumerate(processed):
            image = ProductImage(
                key=item.key,
                width=item.width,
                height=item.height,
                widths=",".join(str(w) for w in item.widths),
                alt_text=(alt or product.title)[:200],
                position=position + offset,
            )
            product.images.append(image)
            created.append(image)
        db.session.commit()
        return created
    except Exception:
        db.session.rollback()
        for name in new_names:
            storage.delete(name)
        raise


def remove_product_image(product: Product, image_id: int) -> None:
    """Remove the photo, and its files once no product shows it any more.

    Names are content addresses, so two products holding the same photo share its files; they
    are deleted only after the row is committed and when no other row names the key.
    """
    image = next((img for img in product.images if img.id == image_id), None)
    if image is None:
        raise NotFound(image_id)
    key, widths = image.key, image.variant_widths
    product.images.remove(image)
    db.session.commit()
    if db.session.scalar(select(func.count(ProductImage.id)).where(ProductImage.key == key)):
        return
    storage = public_storage()
    for name in variant_names(IMAGE_PREFIX, key, widths):
        try:
            storage.delete(name)
        except (OSError, ValueError):  # the row is gone; a stray file only costs space
            current_app.logger.exception("could not delete photo file %s", name)


def move_product_image(product: Product, image_id: int, to_front: bool = True) -> None:
    images = list(product.images)
    image = next((img for img in images if img.id == image_id), None)
    if image is None:
        raise NotFound(image_id)
    images.remove(image)
    images.insert(0 if to_front else len(images), image)
    for position, img in enumerate(images):
        img.position = position
    db.session.commit()


def public_descriptions(ids: list[int]) -> dict[int, str]:
    """The descriptions of the public ones among ``ids``, in the order given (search results
    quote them; their cards come from ``catalog.cards`` without loading the products)."""
    if not ids:
        return {}
    rows = db.session.execute(
        public_products()
        .with_only_columns(Product.id, Product.description)
        .where(Product.id.in_(ids))
    )
    found = {product_id: description for product_id, description in rows}
    return {i: found[i] for i in ids if i in found}


def products_in_order(ids: list[int]) -> list[Product]:
    """Public products by id, in the order given (search ranks them; the database holds them)."""
    if not ids:
        return []
    found = {p.id: p for p in db.session.scalars(public_products().where(Product.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def delete_products_without_commit(product_ids: list[int]) -> list[tuple[str, list[int]]]:
    """Delete products and their photo rows in the caller's transaction.

    Returns the photos' (key, widths) so the caller can remove their files once committed
    (``remove_unused_photo_files``): a rollback must not leave rows pointing at deleted files.
    """
    if not product_ids:
        return []
    photos = [
        (key, [int(w) for w in widths.split(",") if w])
        for key, widths in db.session.execute(
            select(ProductImage.key, ProductImage.widths).where(
                ProductImage.product_id.in_(product_ids)
            )
        )
    ]
    db.session.execute(
        delete(ProductImage)
        .where(ProductImage.product_id.in_(product_ids))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(Product)
        .where(Product.id.in_(product_ids))
        .execution_options(synchronize_session=False)
    )
    return photos


def remove_unused_photo_files(photos: list[tuple[str, list[int]]]) -> int:
    """Delete the files of photos no product shows any more (names are content addresses, so
    another product may hold the same photo). Returns how many files went."""
    storage = public_storage()
    removed = 0
    for key, widths in dict(photos).items():
        if db.session.scalar(select(func.count(ProductImage.id)).where(ProductImage.key == key)):
            continue
        for name in variant_names(IMAGE_PREFIX, key, widths):
            try:
                storage.delete(name)
                removed += 1
            except (OSError, ValueError):  # the row is gone; a stray file only costs space
                current_app.logger.exception("could not delete photo file %s", name)
    return removed
