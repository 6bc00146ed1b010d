"""Publishing waits for the required training: the editor and the product list say exactly which
modules are missing (with links to them), a blocked publish changes nothing, and the product's
own checks (photo, price, weight) still apply once the training is done."""

from __future__ import annotations

import pytest

from catalog.models import ProductImage, ProductStatus
from marketplace.extensions import db
from sellers import services
from sellers.training.progress import mark_completed_for_demo
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, make_product, make_seller

REQUIRED = ["buka-toko", "foto-produk", "judul-deskripsi"]


@pytest.fixture()
def required(app_ctx, monkeypatch):
    """The production list, stated here so the test does not depend on the environment."""
    monkeypatch.setitem(app_ctx.config, "REQUIRED_TRAINING_MODULES", REQUIRED)
    return REQUIRED


def _with_photo(product):
    db.session.add(
        ProductImage(
            product_id=product.id, position=0, key="p" * 64, width=800, height=800, widths="320,640"
        )
    )
    db.session.commit()
    db.session.refresh(product)
    return product


def _untrained_seller_with_a_ready_draft(client):
    seller = make_seller(trained=False)
    product = _with_photo(make_product(seller=seller, status=ProductStatus.DRAFT))
    login(client, seller.owner.email, PASSWORD)
    return seller, product


def _publish(client, product, html):
    return client.post(
        f"/seller/products/{product.id}/status",
        data={"csrf_token": csrf_from(html), "action": "publish"},
    )


def _flashes(client) -> str:
    with client.session_transaction() as session:
        return " ".join(str(message) for _category, message in session.get("_flashes", []))


def test_editor_names_every_missing_module_with_a_link(client, required):
    _seller, product = _untrained_seller_with_a_ready_draft(client)
    html = client.get(f"/seller/products/{product.id}/edit?lang=en").get_data(as_text=True)
    assert "Finish the required training to publish" in html
    for slug in required:
        assert f'href="/learn/{slug}"' in html
    assert "Opening Your Shop from Your Phone" in html  # the module's title, not its slug


def test_product_list_names_the_missing_modules_too(client, required):
    _untrained_seller_with_a_ready_draft(client)
    html = client.get("/seller/products?lang=en").get_data(as_text=True)
    assert "Finish the required training to publish" in html
    for slug in required:
        assert f'href="/learn/{slug}"' in html


def test_publishing_before_training_changes_nothing_and_says_why(client, required):
    _seller, product = _untrained_seller_with_a_ready_draft(client)
    html = client.get(f"/seller/products/{product.id}/edit?lang=en").get_data(as_text=True)
    response = _publish(client, product, html)
    assert response.status_code == 302
    assert "first finish the required training" in _flashes(client)
    db.session.refresh(product)
    assert product.status == ProductStatus.DRAFT
    assert client.get(f"/p/{product.slug}").status_code == 404


def test_publishing_is_allowed_once_the_modules_are_complete(client, required):
    seller, product = _untrained_seller_with_a_ready_draft(client)
    mark_completed_for_demo(seller.owner, required[:2])
    html = client.get(f"/seller/products/{product.id}/edit?lang=en").get_data(as_text=True)
    assert 'href="/learn/judul-deskripsi"' in html and 'href="/learn/buka-toko"' not in html
    _publish(client, product, html)
    db.session.refresh(product)
    assert product.status == ProductStatus.DRAFT

    mark_completed_for_demo(seller.owner, required)
    html = client.get(f"/seller/products/{product.id}/edit?lang=en").get_data(as_text=True)
    assert "Finish the required training to publish" not in html
    _publish(client, product, html)
    db.session.refresh(product)
    assert product.status == ProductStatus.PUBLISHED
    assert client.get(f"/p/{product.slug}").status_code == 200


def test_the_products_own_checks_still_apply_after_training(client, required):
    seller = make_seller()  # trained
    product = make_product(seller=seller, status=ProductStatus.DRAFT)  # no photo
    login(client, seller.owner.email, PASSWORD)
    html = client.get(f"/seller/products/{product.id}/edit?lang=en").get_data(as_text=True)
    assert "Finish the required training to publish" not in html
    _publish(client, product, html)
    assert "Add at least one photo." in _flashes(client)
    db.session.refresh(product)
    assert product.status == ProductStatus.DRAFT


def test_unpublishing_and_archiving_never_wait_for_training(app_ctx, required):
    seller = make_seller(trained=False)
    product = _with_photo(make_product(seller=seller, status=ProductStatus.PUBLISHED))
    services.change_product_status(seller, product, ProductStatus.DRAFT)
    assert product.status == ProductStatus.DRAFT
    with pytest.raises(services.TrainingRequired) as blocked:
        services.change_product_status(seller, product, ProductStatus.PUBLISHED)
    assert [m.slug for m in blocked.value.missing] == required
    services.change_product_status(seller, product, ProductStatus.ARCHIVED)
    assert product.status == ProductStatus.ARCHIVED


def test_no_required_modules_means_no_gate(app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "REQUIRED_TRAINING_MODULES", [])
    seller = make_seller(trained=False)
    product = _with_photo(make_product(seller=seller, status=ProductStatus.DRAFT))
    services.change_product_status(seller, product, ProductStatus.PUBLISHED)
    assert product.status == ProductStatus.PUBLISHED
