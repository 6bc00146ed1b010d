"""The catalogue's admin pages under ``/admin``: what buyers searched for and did not find."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from catalog.models import Product, ProductStatus
from catalog.search import misses as search_misses_service
from marketplace.admin import Stat, admin_blueprint, register_section, register_stat
from marketplace.extensions import db

bp = admin_blueprint("admin_catalog", __name__)
MISSES_DAYS = 30


def _count_published() -> int | None:
    return db.session.scalar(
        select(func.count(Product.id)).where(
            Product.status == ProductStatus.PUBLISHED.value,
            Product.practice_workshop_id.is_(None),
        )
    )


register_section(bp, _l("Searches that found nothing"), "admin_catalog.search_misses", order=60)
register_stat(bp, Stat(30, _count_published, _l("published products")))


@bp.get("/search-misses")
def search_misses():
    """What buyers searched for and found nothing, over the last 30 days."""
    return render_template(
        "admin/search_misses.html",
        misses=search_misses_service.top_misses(MISSES_DAYS),
        days=MISSES_DAYS,
    )
