"""The /sell landing page and the onboarding wizard: state derived from the data, resuming,
refusing skips by URL, bad input that keeps what was typed, and sending the shop for checking."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from catalog.models import ProductImage, ProductStatus
from marketplace.auth.models import Role, User
from marketplace.extensions import db
from sellers import onboarding
from sellers.documents import upload_document
from sellers.models import Seller, SellerStatus
from sellers.training.progress import mark_completed_for_demo
from tests.conftest import csrf_from, get_csrf, login
from tests.factories import (
    PASSWORD,
    VILLAGE,
    jpeg_bytes,
    make_category,
    make_product,
    make_seller,
    make_user,
)

STORY = "Saya bekerja tujuh tahun di Malaysia, lalu pulang dan membuat gula semut di desa."
PROFILE = {
    "shop_name": "Gula Semut Bu Aminah",
    "whatsapp": "0812-3456-7890",
    "country_abroad": "Malaysia",
    "years_abroad": "7",
    "story": STORY,
    "story_en": "",
    "province_code": "52",
    "regency_code": "52.03",
    "district_code": "52.03.12",
    "village_code": VILLAGE,
}
BANK = {
    "bank_name": "BRI",
    "bank_account_number": "0021-01-000123-50-1",
    "bank_account_holder": "Aminah",
}


@pytest.fixture()
def outbox(app_ctx, monkeypatch, tmp_path):
    path = tmp_path / "outbox.log"
    monkeypatch.setitem(app_ctx.config, "MAIL_OUTBOX", str(path))
    return path


def _location(response) -> str:
    return response.headers["Location"]


def _flashes(client) -> str:
    with client.session_transaction() as session:
        return " ".join(str(message) for _category, message in session.get("_flashes", []))


def _post(client, url, data):
    return client.post(url, data={"csrf_token": get_csrf(client, url), **data})


def _complete_shop(user, *, documents=True, trained=True, product=True) -> Seller:
    """A seller with everything up to the step the test needs, written as the wizard would."""
    seller = make_seller(
        user=user,
        status=SellerStatus.DRAFT,
        trained=False,
        country_abroad="Malaysia",
        years_abroad=7,
        story=STORY,
        bank_name="BRI",
        bank_account_number="002101000123501",
        bank_account_holder="Aminah",
    )
    if documents:
        upload_document(seller, "ktp", jpeg_bytes(900, 600))
        upload_document(seller, "returnee", jpeg_bytes(900, 600, color=(20, 40, 160)))
    if trained:
        mark_completed_for_demo(user, ["buka-toko", "foto-produk", "judul-deskripsi"])
    if product:
        item = make_product(seller=seller, status=ProductStatus.PUBLISHED)
        db.session.add(
            ProductImage(
                product_id=item.id,
                position=0,
                key="k" * 64,
                width=800,
                height=800,
                widths="320,640",
            )
        )
        db.session.commit()
    return seller


# --- /sell --------------------------------------------------------------------------------------


def test_landing_page_is_public_and_reads_the_commission_from_config(client, monkeypatch):
    monkeypatch.setitem(client.application.config, "COMMISSION_BASIS_POINTS", 250)
    response = client.get("/sell?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1" in html and "What it costs" in html and "What you need" in html
    assert "2.5 %" in html and "No monthly fee" in html
    assert "KTP" in html and "BP2MI" in html and "bank account" in html
    assert 'href="/sell/start"' in html
    # Indonesian is the default language; the page renders in it too.
    assert client.get("/sell?lang=id").status_code == 200


def test_landing_page_offers_a_buyer_to_open_a_shop(client):
    buyer = make_user()
    login(client, buyer.email, PASSWORD)
    html = client.get("/sell?lang=en").get_data(as_text=True)
    assert "Open a shop with my account" in html


def test_start_sends_a_newcomer_to_the_account_step(client):
    response = client.get("/sell/start")
    assert response.status_code == 302 and _location(response).endswith("/sell/account")
    html = client.get("/sell/account?lang=en").get_data(as_text=True)
    assert "Step 1 of 7" in html and 'name="csrf_token"' in html
    for field in ("name", "phone", "email", "password", "confirm"):
        assert f'<label for="{field}"' in html


# --- the derived state ---------------------------------------------------------------------------


def test_steps_are_derived_from_the_data(app_ctx):
    user = make_user(roles=(Role.BUYER, Role.SELLER))
    with app_ctx.test_request_context():
        assert [s.key for s in onboarding.steps(user)] == list(onboarding.STEP_KEYS)
        assert [s.number for s in onboarding.steps(user)] == list(range(1, 8))
        assert onboarding.next_step(user).key == "profile"

        seller = _complete_shop(user, documents=False, trained=False, product=False)
        done = {s.key: s.done for s in onboarding.steps(user)}
        assert done == {
            "account": True,
            "profile": True,
            "bank": True,
            "documents": False,
            "training": False,
            "product": False,
            "review": False,
        }
        assert onboarding.next_step(user).key == "documents"
        assert [s.key for s in onboarding.can_submit(user)] == ["documents", "training", "product"]

        # A wrong account number (the digits for another bank) is not a finished step.
        seller.bank_account_number = "0123456789"
        db.session.commit()
        assert onboarding.next_step(user).key == "bank"
        seller.bank_account_number = "002101000123501"
        seller.story = "Terlalu pendek."
        db.session.commit()
        assert onboarding.next_step(user).key == "profile"


def test_a_complete_shop_can_be_submitted_once(app_ctx):
    user = make_user(roles=(Role.BUYER, Role.SELLER))
    seller = _complete_shop(user)
    with app_ctx.test_request_context():
        assert onboarding.can_submit(user) == []
        assert onboarding.next_step(user).key == "review"
        onboarding.submit(user)
        assert seller.status == SellerStatus.SUBMITTED and seller.submitted_at is not None
        assert all(step.done for step in onboarding.steps(user))
        from sellers.services import ShopError

        with pytest.raises(ShopError):
            onboarding.submit(user)


def test_submit_refuses_an_incomplete_shop(app_ctx):
    user = make_user(roles=(Role.BUYER, Role.SELLER))
    seller = _complete_shop(user, trained=False)
    with app_ctx.test_request_context(), pytest.raises(onboarding.NotReady) as refused:
        onboarding.submit(user)
    assert [s.key for s in refused.value.missing] == ["training"]
    assert seller.status == SellerStatus.DRAFT


# --- the wizard over HTTP -----------------------------------------------------------------------


def test_newcomer_registers_fills_the_profile_and_bank_and_resumes(client):
    response = client.post(
        "/sell/account",
        data={
            "csrf_token": get_csrf(client, "/sell/account"),
            "name": "Aminah",
            "phone": "0812 3456 7890",
            "email": "aminah@example.id",
            "password": "rahasia-123",
            "confirm": "rahasia-123",
        },
    )
    # Not logged in yet: the same answer as for a taken address, then log in and carry on.
    assert response.status_code == 302
    assert _location(response).startswith("/account/login?next=/sell/start")
    user = db.session.scalar(select(User).where(User.email == "aminah@example.id"))
    assert user.roles == {Role.BUYER, Role.SELLER} and user.phone == "+6281234567890"
    response = client.post(
        _location(response),
        data={
            "email": "aminah@example.id",
            "password": "rahasia-123",
            "csrf_token": get_csrf(client, _location(response)),
        },
    )
    assert _location(response) == "/sell/start"
    assert client.get("/sell/start").headers["Location"].endswith("/sell/profile")

    # The profile screen suggests the phone given at sign-up as the WhatsApp number.
    html = client.get("/sell/profile?lang=en").get_data(as_text=True)
    assert "Step 2 of 7" in html and 'value="+6281234567890"' in html
    assert client.get("/sell/start").headers["Location"].endswith("/sell/profile")

    response = _post(client, "/sell/profile", PROFILE)
    assert response.status_code == 302 and _location(response).endswith("/sell/bank")
    seller = db.session.scalar(select(Seller))
    assert seller.status == SellerStatus.DRAFT and seller.whatsapp == "+6281234567890"
    assert seller.village_code == VILLAGE and seller.story == STORY

    # Coming back later (another phone, a lost connection): the wizard resumes at the bank.
    assert client.get("/sell/start").headers["Location"].endswith("/sell/bank")
    html = client.get("/sell/bank?lang=en").get_data(as_text=True)
    assert "Step 3 of 7" in html and 'value="Aminah"' in html  # holder suggested
    assert 'href="/sell/profile"' in html  # back

    response = _post(client, "/sell/bank", BANK)
    assert response.status_code == 302 and _location(response).endswith("/sell/documents")
    db.session.refresh(seller)
    assert (seller.bank_name, seller.bank_account_number) == ("BRI", "002101000123501")
    # Going back to an earlier step is always allowed, with what was entered.
    html = client.get("/sell/profile").get_data(as_text=True)
    assert 'value="Gula Semut Bu Aminah"' in html and STORY in html


def test_registering_with_a_taken_email_answers_as_for_a_new_one(client):
    """Whoever tries an address is not told it has an account (see test_accounts_signup)."""
    owner = make_user(email="aminah@example.id")
    response = _post(
        client,
        "/sell/account?lang=en",
        {
            "name": "Aminah",
            "phone": "0812 3456 7890",
            "email": "aminah@example.id",
            "password": "rahasia-123",
            "confirm": "rahasia-123",
        },
    )
    assert response.status_code == 302
    assert _location(response).startswith("/account/login?next=/sell/start")
    db.session.refresh(owner)
    assert owner.check_password(PASSWORD) and not owner.has_role(Role.SELLER)


def test_account_step_errors_keep_the_input(client):
    response = _post(
        client,
        "/sell/account?lang=en",
        {
            "name": "Aminah",
            "phone": "0812 3456 7890",
            "email": "not-an-address",
            "password": "rahasia-123",
            "confirm": "rahasia-123",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="email-error"' in html
    assert 'value="Aminah"' in html and 'value="081234567890"' in html


def test_invalid_phone_is_refused_next_to_the_field_and_input_is_kept(client):
    user = make_user(roles=(Role.BUYER, Role.SELLER))
    login(client, user.email, PASSWORD)
    response = _post(client, "/sell/profile?lang=en", {**PROFILE, "whatsapp": "021-555-1234"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="whatsapp-error"' in html and "Indonesian mobile number" in html
    assert 'value="Gula Semut Bu Aminah"' in html and STORY in html
    assert db.session.scalar(select(Seller)) is None


def test_short_story_and_missing_years_are_explained(client):
    user = make_user(roles=(Role.BUYER, Role.SELLER))
    login(client, user.email, PASSWORD)
    response = _post(
        client, "/sell/profile?lang=en", {**PROFILE, "story": "Gula.", "years_abroad": ""}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="story-error"' in html and "at least 50 characters" in html
    assert 'id="years_abroad-error"' in html
    assert db.session.scalar(select(Seller)) is None


def test_wrong_bank_account_length_is_refused_and_the_profile_is_kept(client):
    user = make_user(roles=(Role.BUYER, Role.SELLER))
    login(client, user.email, PASSWORD)
    _post(client, "/sell/profile", PROFILE)
    response = _post(
        client, "/sell/bank?lang=en", {**BANK, "bank_account_number": "0021-0100-0123"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="bank_account_number-error"' in html and "15 digits" in html
    assert 'value="002101000123"' in html and 'value="Aminah"' in html  # what was typed
    seller = db.session.scalar(select(Seller))
    assert seller.bank_account_number == "" and seller.shop_name == "Gula Semut Bu Aminah"
    assert client.get("/sell/start").headers["Location"].endswith("/sell/bank")


def test_skipping_ahead_by_url_is_refused_with_a_message(client):
    response = client.get("/sell/bank")
    assert response.status_code == 302 and _location(response).endswith("/sell/account")

    user = make_user(roles=(Role.BUYER, Role.SELLER))
    login(client, user.email, PASSWORD)
    client.get("/sell?lang=en")
    for url in ("/sell/bank", "/sell/documents", "/sell/training", "/sell/product", "/sell/review"):
        response = client.get(url)
        assert response.status_code == 302 and _location(response).endswith("/sell/profile")
    assert "Please finish “Shop profile” first" in _flashes(client)
    # Posting to a later step does not save anything either.
    response = client.post("/sell/bank", data={"csrf_token": get_csrf(client, "/"), **BANK})
    assert response.status_code == 302 and db.session.scalar(select(Seller)) is None
    response = client.post("/sell/submit", data={"csrf_token": get_csrf(client, "/")})
    assert _location(response).endswith("/sell/profile")


def test_a_logged_in_buyer_becomes_a_seller(client):
    buyer = make_user()
    login(client, buyer.email, PASSWORD)
    assert client.get("/sell/start").headers["Location"].endswith("/sell/account")
    html = client.get("/sell/account?lang=en").get_data(as_text=True)
    assert "Yes, open my shop" in html
    response = client.post("/sell/account/become-seller", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302 and _location(response).endswith("/sell/profile")
    db.session.refresh(buyer)
    assert buyer.has_role(Role.SELLER)


def test_wizard_forms_need_the_csrf_token(client):
    user = make_user(roles=(Role.BUYER,))
    login(client, user.email, PASSWORD)
    response = client.post("/sell/profile", data=PROFILE)
    assert response.status_code == 400 and db.session.scalar(select(Seller)) is None
    response = client.post("/sell/account/become-seller")
    assert response.status_code == 400
    db.session.refresh(user)
    assert not user.has_role(Role.SELLER)
    assert client.post("/sell/submit").status_code == 400


def test_documents_step_shows_uploaded_state_and_continues(client):
    user = make_user(roles=(Role.BUYER, Role.SELLER))
    _complete_shop(user, documents=False, trained=False, product=False)
    login(client, user.email, PASSWORD)
    html = client.get("/sell/documents?lang=en").get_data(as_text=True)
    assert "Step 4 of 7" in html and html.count("Not uploaded yet.") == 2
    assert '<label for="ktp-photo"' in html and '<label for="returnee-photo"' in html
    response = client.post(
        "/sell/documents/ktp",
        data={
            "ktp-csrf_token": csrf_from(html),
            "ktp-photo": (io.BytesIO(jpeg_bytes()), "ktp.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and _location(response).endswith("/sell/documents")
    html = client.get("/sell/documents?lang=en").get_data(as_text=True)
    assert html.count("Not uploaded yet.") == 1 and "Uploaded on" in html
    response = client.post(
        "/sell/documents/returnee",
        data={
            "returnee-csrf_token": csrf_from(html),
            "returnee-photo": (io.BytesIO(jpeg_bytes()), "paspor.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert _location(response).endswith("/sell/training")
    unknown = client.post("/sell/documents/passport", data={"csrf_token": csrf_from(html)})
    assert unknown.status_code == 404


def test_training_step_lists_each_required_module_with_links(client):
    user = make_user(roles=(Role.BUYER, Role.SELLER))
    _complete_shop(user, trained=False, product=False)
    login(client, user.email, PASSWORD)
    html = client.get("/sell/training?lang=en").get_data(as_text=True)
    assert "Step 5 of 7" in html
    for slug in ("buka-toko", "foto-produk", "judul-deskripsi"):
        assert f'href="/learn/{slug}"' in html and f'href="/learn/{slug}/quiz"' in html
    assert 'href="/seller/products/new"' in html  # where the product tasks are done
    assert client.get("/sell/product").headers["Location"].endswith("/sell/training")
    mark_completed_for_demo(user, ["buka-toko", "foto-produk", "judul-deskripsi"])
    assert client.get("/sell/start").headers["Location"].endswith("/sell/product")


def test_product_step_publishes_a_ready_product_and_moves_on(client):
    user = make_user(roles=(Role.BUYER, Role.SELLER))
    seller = _complete_shop(user, product=False)
    product = make_product(seller=seller, category=make_category(), status=ProductStatus.DRAFT)
    login(client, user.email, PASSWORD)
    html = client.get("/sell/product?lang=en").get_data(as_text=True)
    assert "Step 6 of 7" in html and "Add at least one photo." in html
    db.session.add(
        ProductImage(
            product_id=product.id, position=0, key="a" * 64, width=800, height=800, widths="320,640"
        )
    )
    db.session.commit()
    html = client.get("/sell/product?lang=en").get_data(as_text=True)
    response = client.post(
        f"/seller/products/{product.id}/status",
        data={"csrf_token": csrf_from(html), "action": "publish", "back": "onboarding"},
    )
    assert _location(response).endswith("/sell/product")
    db.session.refresh(product)
    assert product.status == ProductStatus.PUBLISHED
    assert client.get("/sell/start").headers["Location"].endswith("/sell/review")


def test_review_and_submit_over_http(client):
    user = make_user(roles=(Role.BUYER, Role.SELLER))
    seller = _complete_shop(user)
    login(client, user.email, PASSWORD)
    html = client.get("/sell/review?lang=en").get_data(as_text=True)
    assert "Step 7 of 7" in html and "Gula" in html and "002101000123501" in html
    assert "uploaded on" in html and "/admin/" not in html and "verification/" not in html
    response = client.post("/sell/submit", data={"csrf_token": csrf_from(html)})
    assert _location(response).endswith("/sell/review")
    db.session.refresh(seller)
    assert seller.status == SellerStatus.SUBMITTED
    html = client.get("/sell/review?lang=en").get_data(as_text=True)
    assert "waiting for verification" in html
    assert "Send my shop for checking" not in html


def test_back_office_submit_button_follows_the_same_rule(client):
    user = make_user(roles=(Role.BUYER, Role.SELLER))
    seller = _complete_shop(user, documents=False)
    login(client, user.email, PASSWORD)
    response = client.post("/seller/shop/submit", data={"csrf_token": get_csrf(client, "/")})
    assert _location(response).endswith("/sell/documents")
    db.session.refresh(seller)
    assert seller.status == SellerStatus.DRAFT


def test_rejected_seller_sees_the_reason_fixes_and_resends(client, outbox):
    from sellers import services

    user = make_user(roles=(Role.BUYER, Role.SELLER))
    seller = _complete_shop(user)
    admin = make_user(roles=(Role.BUYER, Role.ADMIN))
    services.submit_for_verification(seller)
    with client.application.test_request_context():
        services.reject_seller(seller, admin, "Foto KTP buram, mohon foto ulang.")
    login(client, user.email, PASSWORD)
    for url in ("/sell/review", "/sell/documents", "/seller/products"):
        html = client.get(url + "?lang=en").get_data(as_text=True)
        assert "Foto KTP buram, mohon foto ulang." in html, url
    html = client.get("/sell/review?lang=en").get_data(as_text=True)
    assert "Send my shop for checking again" in html
    client.post("/sell/submit", data={"csrf_token": csrf_from(html)})
    db.session.refresh(seller)
    assert seller.status == SellerStatus.SUBMITTED
