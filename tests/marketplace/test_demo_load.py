"""``flask demo load`` builds a believable store and changes nothing when run again."""

from sqlalchemy import func, select

from catalog.models import Product, ProductImage
from marketplace.auth.models import User
from marketplace.demo.loader import load
from marketplace.extensions import db
from sellers.models import Seller


def _counts():
    return tuple(
        db.session.scalar(select(func.count(model.id)))
        for model in (User, Seller, Product, ProductImage)
    )


def test_demo_load_is_idempotent(app_ctx):
    first = load(product_limit=6)
    assert first["created"] == 6 and first["sellers"] >= 8
    counts = _counts()
    second = load(product_limit=6)
    assert second["created"] == 0
    assert _counts() == counts
    products = list(db.session.scalars(select(Product)).unique())
    # Drafts belong to the demo workshop's participants, still setting up their shops.
    shop_products = [p for p in products if p.seller.status == "verified"]
    assert len(shop_products) == 6
    assert all(p.is_public and len(p.images) >= 2 for p in shop_products)
    assert all(not p.is_public for p in products if p.seller.status != "verified")


def test_demo_load_command_refuses_production(app_ctx):
    app_ctx.config["ENV_NAME"] = "production"
    try:
        result = app_ctx.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code != 0
        assert db.session.scalar(select(func.count(Product.id))) == 0
    finally:
        app_ctx.config["ENV_NAME"] = "development"
