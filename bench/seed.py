"""Grow a demo database to N products for benchmarks (cloning demo products and photos).

Run inside an app context after ``demo load``; inserts in batches with SQLAlchemy Core so
10,000 rows take seconds, and reuses the demo photos (content-addressed, nothing to redraw).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from catalog.models import Product, ProductImage
from marketplace.extensions import db


def grow_catalogue(target: int, batch: int = 1000) -> int:
    templates = list(db.session.scalars(select(Product).order_by(Product.id)).unique())
    existing = db.session.scalar(select(func.count(Product.id)))
    if existing >= target:
        return existing
    cycle = itertools.cycle(templates)
    now = datetime.now(UTC)
    n = existing
    while n < target:
        rows, images = [], []
        for _ in range(min(batch, target - n)):
            t = next(cycle)
            n += 1
            rows.append(
                {
                    "seller_id": t.seller_id,
                    "category_id": t.category_id,
                    "title": f"{t.title} #{n}",
                    "slug": f"{t.slug}-b{n}",
                    "description": t.description,
                    "price": t.price + (n % 50) * 500,
                    "stock": (n * 7) % 40,
                    "weight_grams": t.weight_grams,
                    "status": t.status,
                    "net_weight": t.net_weight,
                    "pirt_number": t.pirt_number,
                    "bpom_number": t.bpom_number,
                    "halal_number": t.halal_number,
                    "ingredients": t.ingredients,
                    "best_before": t.best_before,
                    "origin_village_code": "",
                    "featured": False,
                    "created_at": now - timedelta(minutes=n),
                    "updated_at": now,
                }
            )
            images.append(
                [(img.key, img.width, img.height, img.widths, img.alt_text) for img in t.images]
            )
        ids = db.session.execute(insert(Product).returning(Product.id), rows).scalars().all()
        image_rows = [
            {
                "product_id": pid,
                "position": pos,
                "key": k,
                "width": w,
                "height": h,
                "widths": ws,
                "alt_text": alt,
            }
            for pid, imgs in zip(ids, images, strict=True)
            for pos, (k, w, h, ws, alt) in enumerate(imgs)
        ]
        if image_rows:
            db.session.execute(insert(ProductImage), image_rows)
        db.session.commit()
    return n
