"""Listing quality score: the checks a buyer makes with their eyes, made before they do.

A first-time seller rarely knows why a listing does not sell. Each check here is one thing
buyers notice (too few or blurry photos, a shouting title, no weight, no permit on food) and
each failed check links to the lesson that teaches the fix, so the score is a to-do list, not a
grade.

``score(product)`` is a pure function of the product, its category chain and its photos: no
queries of its own beyond loading those relations, no writes, nothing cached, so it is cheap to
call from a template for every row of the seller's product list and always shows the current
state. Texts are lazy strings and lesson links are resolved when read, so a score computed
anywhere renders in the language of the page that shows it.

Not-applicable checks (permits and ingredients for a woven bag) are left out rather than
counted as passed, so "7 of 8" for cloth and "7 of 10" for food both mean what they say.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _nl

from marketplace.i18n import format_rupiah
from sellers.training.progress import FOOD_CATEGORY_ROOTS

MIN_PHOTOS = 3
# Photos are judged on their LONGER side. That is the size that decides whether the picture
# stays sharp when a buyer opens or zooms it (marketplaces' zoom rules use the longest side for
# the same reason), and it lets an honest full-length photo of a long tenun runner or a tall bag
# pass without forcing a crop that cuts the product off. Upload already refuses images whose
# shorter side is under 200 px (catalog.images.processing.MIN_SIDE), and the photo lesson
# teaches square crops, for which both sides are the same anyway. What this catches is the
# common real failure: a photo saved from a WhatsApp chat or a screenshot, shrunk on every side.
MIN_PHOTO_SIDE = 800
TITLE_MIN, TITLE_MAX = 20, 80  # the same bounds as the title lesson's practical task
DESCRIPTION_MIN = 150
# The editor accepts Rp 1.000 – Rp 100.000.000; this is the softer "are you sure?" band. Below
# Rp 1.000 is almost always thousands typed as "25" for Rp 25.000; above Rp 50.000.000 nothing
# a village group sells (a hand-woven songket is a few million) is plausible, so an extra zero
# is the likely story. Prices end in hundreds because smaller coins are hardly used: a price like
# Rp 25.001 is a slipped key. Guessing a single extra zero inside the band (Rp 250.000 for a
# Rp 25.000 jar) would need other sellers' prices, so it is left to the pricing lesson.
PRICE_MIN = 1_000
PRICE_MAX = 50_000_000
PRICE_STEP = 100


@dataclass(frozen=True)
class LessonRef:
    """Where a check's fix is taught: a module and words to find the lesson inside it.

    Lesson anchors are slugs of the headings in the page's language ("isi-bingkai-…" in
    Indonesian, "fill-the-frame-…" in English), so the anchor is looked up when the link is
    rendered, by keywords in both languages; if no lesson matches (content was rewritten) the
    link falls back to the module page (and to the course overview if the module is gone).
    """

    module: str
    keywords: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        from sellers.training.content_loader import get_module
        from sellers.training.views import lesson_url

        module = get_module(self.module)
        if module is None:  # a module renamed or removed: the course overview, never a 404
            return url_for("learn.index")
        for lesson in module.lessons:
            if any(word in lesson.id for word in self.keywords):
                return lesson_url(self.module, lesson.id)
        return lesson_url(self.module)


@dataclass(frozen=True)
class Check:
    """One thing checked. ``label`` names it; ``message`` says what to do when it fails."""

    code: str
    ok: bool
    label: LazyString | str
    message: LazyString | str
    lesson: LessonRef

    @property
    def lesson_url(self) -> str:
        return self.lesson.url


@dataclass(frozen=True)
class Quality:
    points: int
    max_points: int
    percent: int
    checks: list[Check]

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def passed(self) -> list[Check]:
        return [c for c in self.checks if c.ok]

    @property
    def level(self) -> str:
        """``good`` / ``fair`` / ``low``: a word for styling and for people, not another score."""
        if self.percent >= 80:
            return "good"
        return "fair" if self.percent >= 50 else "low"


# --- lessons ------------------------------------------------------------------------------------

PHOTO_ANGLES = LessonRef("foto-produk", ("sudut", "angles"))
PHOTO_SIZE = LessonRef("foto-produk", ("persegi", "square"))
TITLE = LessonRef("judul-deskripsi", ("rumus-judul", "title-formula"))
DESCRIPTION = LessonRef("judul-deskripsi", ("deskripsi", "description"))
SHIPPING_WEIGHT = LessonRef("harga", ("ongkos-kirim", "shipping"))
PRICE = LessonRef("harga", ("pesaing", "competitors"))
PERMIT = LessonRef("izin-kepercayaan", ("p-irt",))
HONEST_LABEL = LessonRef("izin-kepercayaan", ("label-yang-jujur", "honest-label"))
STOCK = LessonRef("kemas-kirim", ("tepat-waktu", "on-time"))


# --- the checks ---------------------------------------------------------------------------------


def is_food(product) -> bool:
    """Whether the product sits under a food or drink top-level category (any depth)."""
    node, seen = product.category, set()
    while node is not None and node.id not in seen:
        if node.slug in FOOD_CATEGORY_ROOTS:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def _photo_count(product) -> Check:
    n = len(product.images)
    return Check(
        "photos",
        n >= MIN_PHOTOS,
        _l("At least %(min)d photos", min=MIN_PHOTOS),
        _nl(
            "You have %(num)d photo. Add at least %(min)d: the front, the label or a close-up, "
            "and the product in use.",
            "You have %(num)d photos. Add at least %(min)d: the front, the label or a close-up, "
            "and the product in use.",
            n,
            min=MIN_PHOTOS,
        ),
        PHOTO_ANGLES,
    )


def _photo_size(product) -> Check:
    label = _l("Every photo at least %(px)d pixels", px=MIN_PHOTO_SIDE)
    if not product.images:
        return Check(
            "photo_size",
            False,
            label,
            _l(
                "Upload sharp photos of at least %(px)d pixels, straight from your phone's "
                "gallery.",
                px=MIN_PHOTO_SIDE,
            ),
            PHOTO_SIZE,
        )
    small = [
        position
        for position, image in enumerate(product.images, start=1)
        if max(image.width or 0, image.height or 0) < MIN_PHOTO_SIDE
    ]
    return Check(
        "photo_size",
        not small,
        label,
        _nl(
            "Photo %(which)s is smaller than %(px)d pixels and will look blurry. Upload it "
            "again from your phone's gallery, not from a WhatsApp chat: WhatsApp shrinks photos.",
            "Photos %(which)s are smaller than %(px)d pixels and will look blurry. Upload them "
            "again from your phone's gallery, not from a WhatsApp chat: WhatsApp shrinks photos.",
            len(small),
            which=", ".join(str(p) for p in small),
            px=MIN_PHOTO_SIDE,
        ),
        PHOTO_SIZE,
    )


def _words(text: str) -> list[str]:
    return [w for w in text.split() if any(ch.isalnum() for ch in w)]


def _title(product) -> Check:
    title = (product.title or "").strip()
    if len(title) < TITLE_MIN:
        problem = _l(
            "The name is short (%(n)d characters). Use %(min)d–%(max)d: product, variety, "
            "size and place, e.g. “Gula Semut Aren Lombok 250 g”.",
            n=len(title),
            min=TITLE_MIN,
            max=TITLE_MAX,
        )
    elif len(title) > TITLE_MAX:
        problem = _l(
            "The name is long (%(n)d characters). Keep it to %(max)d and move the rest to the "
            "description.",
            n=len(title),
            max=TITLE_MAX,
        )
    elif title.isupper():
        problem = _l(
            "The name is in CAPITAL LETTERS, which reads like shouting. Capitalise only the "
            "first letter of each word."
        )
    elif len(_words(title)) < 2:
        problem = _l(
            "Use at least two words in the name: what it is and what makes it yours, "
            "e.g. the variety or the place."
        )
    else:
        problem = None
    return Check(
        "title",
        problem is None,
        _l("A clear name of %(min)d–%(max)d characters", min=TITLE_MIN, max=TITLE_MAX),
        problem or "",
        TITLE,
    )


def _description(product) -> Check:
    n = len((product.description or "").strip())
    return Check(
        "description",
        n >= DESCRIPTION_MIN,
        _l("A description of at least %(min)d characters", min=DESCRIPTION_MIN),
        _l(
            "The description has %(n)d characters. Write at least %(min)d: what it is, taste or "
            "material, size, how to use and store it, and who made it.",
            n=n,
            min=DESCRIPTION_MIN,
        ),
        DESCRIPTION,
    )


def _weight(product) -> Check:
    return Check(
        "weight",
        (product.weight_grams or 0) > 0,
        _l("Shipping weight set"),
        _l("Set the weight of the packed parcel in grams: shipping costs are worked out from it."),
        SHIPPING_WEIGHT,
    )


def _net_weight(product, food: bool) -> Check:
    return Check(
        "net_weight",
        bool((product.net_weight or "").strip()),
        _l("Net weight or size stated"),
        _l(
            "Say how much the buyer gets: the net weight (e.g. 250 g) or the size "
            "(e.g. 200 × 60 cm)."
        ),
        HONEST_LABEL if food else DESCRIPTION,
    )


def _permit(product) -> Check:
    has = any(
        (value or "").strip()
        for value in (product.pirt_number, product.bpom_number, product.halal_number)
    )
    return Check(
        "permit",
        has,
        _l("A P-IRT, BPOM or halal number (food)"),
        _l(
            "Food buyers look for a permit. Enter your P-IRT, BPOM MD or halal number exactly "
            "as it is on the label."
        ),
        PERMIT,
    )


def _ingredients(product) -> Check:
    return Check(
        "ingredients",
        bool((product.ingredients or "").strip()),
        _l("Ingredients listed (food)"),
        _l("List every ingredient, starting with the one there is most of."),
        HONEST_LABEL,
    )


def _price(product) -> Check:
    price = product.price or 0
    if price <= 0:
        problem = _l("Set a price in rupiah.")
    elif price < PRICE_MIN:
        problem = _l(
            "%(price)s is very low. Prices are in whole rupiah: for %(example)s type 25000.",
            price=LazyString(format_rupiah, price),
            example=LazyString(format_rupiah, 25_000),
        )
    elif price > PRICE_MAX:
        problem = _l(
            "%(price)s is very high. Please check for an extra zero.",
            price=LazyString(format_rupiah, price),
        )
    elif price % PRICE_STEP:
        problem = _l(
            "%(price)s does not end in hundreds. Did a key slip? Prices are usually rounded, "
            "e.g. %(rounded)s.",
            price=LazyString(format_rupiah, price),
            rounded=LazyString(format_rupiah, round(price, -2) or PRICE_STEP),
        )
    else:
        problem = None
    return Check(
        "price",
        problem is None,
        _l("A sensible price"),
        problem or "",
        PRICE,
    )


def _stock(product) -> Check:
    return Check(
        "stock",
        (product.stock or 0) > 0,
        _l("In stock"),
        _l(
            "Stock is 0, so buyers see “Sold out” and cannot order. Enter how many you can send "
            "within 2 working days."
        ),
        STOCK,
    )


def score(product) -> Quality:
    """Run every check that applies to ``product``; one point per passed check."""
    food = is_food(product)
    checks = [
        _photo_count(product),
        _photo_size(product),
        _title(product),
        _description(product),
        _price(product),
        _weight(product),
        _net_weight(product, food),
    ]
    if food:
        checks += [_permit(product), _ingredients(product)]
    checks.append(_stock(product))
    points = sum(1 for c in checks if c.ok)
    return Quality(
        points=points,
        max_points=len(checks),
        percent=round(100 * points / len(checks)),
        checks=checks,
    )
