"""Verification documents (KTP, returnee document) and the admin's verification queue.

The photos are identity documents: they must be stripped of metadata, kept only in private
storage, and served to admins only. Decisions are audited and told to the seller by e-mail.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace.audit import AuditEvent
from marketplace.auth.models import Role
from marketplace.extensions import db
from sellers.documents import document_for, upload_document
from sellers.models import SellerDocument, SellerStatus
from tests.conftest import csrf_from, get_csrf, login, use_private_root
from tests.factories import PASSWORD, jpeg_bytes, make_seller, make_user


@pytest.fixture()
def private_root(app_ctx, monkeypatch, tmp_path):
    root = tmp_path / "private"
    use_private_root(app_ctx, monkeypatch, root)
    return root


@pytest.fixture()
def outbox(app_ctx, monkeypatch, tmp_path):
    path = tmp_path / "outbox.log"
    monkeypatch.setitem(app_ctx.config, "MAIL_OUTBOX", str(path))
    return path


def _gps_photo() -> bytes:
    """A phone photo with a GPS position and a camera model in its EXIF."""
    image = Image.new("RGB", (1000, 700), (200, 180, 150))
    exif = Image.Exif()
    exif[0x0110] = "Redmi Note 9"
    exif.get_ifd(0x8825).update({1: "S", 2: (8.0, 34.0, 12.5), 3: "E", 4: (116.0, 31.0, 40.2)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _draft_seller():
    return make_seller(
        status=SellerStatus.DRAFT,
        country_abroad="Malaysia",
        years_abroad=6,
        story="Saya bekerja enam tahun di Malaysia dan sekarang membuat terasi.",
    )


def _upload(client, kind, data, filename="foto.jpg", lang="en"):
    page = client.get("/sell/documents")
    assert page.status_code == 200, page.headers.get("Location")
    return client.post(
        f"/sell/documents/{kind}?lang={lang}",
        data={
            f"{kind}-csrf_token": csrf_from(page.get_data(as_text=True)),
            f"{kind}-photo": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )


def _ready_for_documents(client):
    """A logged-in seller whose profile and bank account are done (the documents step opens)."""
    seller = make_seller(
        status=SellerStatus.DRAFT,
        country_abroad="Malaysia",
        years_abroad=6,
        story="Saya bekerja enam tahun di Malaysia dan sekarang membuat terasi udang.",
        bank_name="BNI",
        bank_account_number="0123456789",
        bank_account_holder="Wayan",
    )
    login(client, seller.owner.email, PASSWORD)
    return seller


# --- storing --------------------------------------------------------------------------------


def test_document_is_stripped_and_stored_only_in_private_storage(app_ctx, private_root):
    seller = _draft_seller()
    document = upload_document(seller, "ktp", _gps_photo())
    assert document.storage_key.startswith(f"verification/{seller.id}/ktp-")
    stored = private_root / document.storage_key
    assert stored.is_file() and _files(private_root) == [stored]
    with Image.open(stored) as image:
        assert image.format == "JPEG" and not image.getexif()
        assert (document.width, document.height) == image.size
    media_root = Path(app_ctx.config["MEDIA_ROOT"]).resolve()
    assert not stored.resolve().is_relative_to(media_root)
    assert not any("verification" in str(p) for p in _files(media_root))


def test_replacing_a_kind_replaces_the_row_and_deletes_the_old_file(app_ctx, private_root):
    seller = _draft_seller()
    first = upload_document(seller, "ktp", jpeg_bytes(900, 600, color=(10, 10, 10)))
    old_file = private_root / first.storage_key
    second = upload_document(seller, "ktp", jpeg_bytes(900, 600, color=(250, 250, 250)))
    assert db.session.scalar(select(func.count(SellerDocument.id))) == 1
    assert second.id == first.id and not old_file.exists()
    assert (private_root / second.storage_key).is_file()
    upload_document(seller, "returnee", jpeg_bytes())
    assert db.session.scalar(select(func.count(SellerDocument.id))) == 2


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"%PDF-1.4 not a photo", "ktp.pdf", "This file is not an image"),
        (b"", "empty.jpg", "The file is empty"),
        (jpeg_bytes(120, 90), "tiny.jpg", "The photo is too small"),
    ],
)
def test_bad_documents_are_refused_with_the_reason_and_nothing_is_stored(
    client, private_root, data, filename, reason
):
    seller = _ready_for_documents(client)
    response = _upload(client, "ktp", data, filename)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="ktp-photo-error"' in html and reason in html
    assert db.session.scalar(select(func.count(SellerDocument.id))) == 0
    assert _files(private_root) == []
    db.session.refresh(seller)
    assert seller.bank_account_number == "0123456789"  # nothing entered earlier is lost


def test_oversized_document_is_refused_with_the_reason(client, private_root, monkeypatch):
    _ready_for_documents(client)
    monkeypatch.setitem(client.application.config, "MAX_IMAGE_BYTES", 20_000)
    response = _upload(client, "returnee", _gps_photo() + b"\0" * 30_000)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="returnee-photo-error"' in html and "larger than" in html
    assert _files(private_root) == []


def test_seller_sees_uploaded_and_the_date_never_a_link_to_the_image(client, private_root):
    seller = _ready_for_documents(client)
    response = _upload(client, "ktp", _gps_photo())
    assert response.status_code == 302
    document = document_for(seller, "ktp")
    html = client.get("/sell/documents?lang=en").get_data(as_text=True)
    assert "Uploaded on" in html
    assert document.storage_key not in html and "verification/" not in html
    assert "/admin/sellers" not in html and "<img" not in html


# --- serving ---------------------------------------------------------------------------------


def test_documents_are_served_to_admins_only(client, private_root):
    seller = _draft_seller()
    document = upload_document(seller, "ktp", _gps_photo())
    url = f"/admin/sellers/{seller.id}/documents/ktp"

    response = client.get(url)  # anonymous
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]

    other_seller = make_seller()
    buyer = make_user()
    for user in (seller.owner, other_seller.owner, buyer):
        login(client, user.email, PASSWORD)
        assert client.get(url).status_code == 403, user.email
        client.post("/account/logout", data={"csrf_token": get_csrf(client, "/")})

    admin = make_user(roles=(Role.BUYER, Role.ADMIN))
    login(client, admin.email, PASSWORD)
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == (private_root / document.storage_key).read_bytes()
    assert not Image.open(io.BytesIO(response.data)).getexif()
    assert client.get(f"/admin/sellers/{seller.id}/documents/returnee").status_code == 404
    assert client.get(f"/admin/sellers/{seller.id + 999}/documents/ktp").status_code == 404
    assert client.get(f"/admin/sellers/{seller.id}/documents/passport").status_code == 404


def test_the_public_media_route_cannot_reach_documents(client, private_root):
    seller = _draft_seller()
    document = upload_document(seller, "ktp", _gps_photo())
    assert client.get("/media/" + document.storage_key).status_code == 404
    assert client.get("/media/../private/" + document.storage_key).status_code == 404
    relative = Path("..") / private_root.name / document.storage_key
    assert client.get(f"/media/{relative.as_posix()}").status_code == 404


def test_missing_file_is_404_not_500(client, private_root):
    seller = _draft_seller()
    document = upload_document(seller, "ktp", _gps_photo())
    (private_root / document.storage_key).unlink()
    admin = make_user(roles=(Role.BUYER, Role.ADMIN))
    login(client, admin.email, PASSWORD)
    assert client.get(f"/admin/sellers/{seller.id}/documents/ktp").status_code == 404


# --- the verification queue --------------------------------------------------------------------


def _submitted_seller(name: str = "Terasi Jerowaru"):
    seller = _draft_seller()
    seller.shop_name = name
    seller.bank_name, seller.bank_account_number = "BNI", "0123456789"
    seller.bank_account_holder = "Wayan"
    db.session.commit()
    upload_document(seller, "ktp", jpeg_bytes())
    upload_document(seller, "returnee", jpeg_bytes(color=(30, 60, 90)))
    from sellers import services

    return services.submit_for_verification(seller)


def _admin_client(client):
    admin = make_user(roles=(Role.BUYER, Role.ADMIN))
    login(client, admin.email, PASSWORD)
    return admin


def test_queue_lists_submitted_shops_first_with_their_details(client, private_root):
    make_seller(shop_name="Toko Terverifikasi")
    waiting = _submitted_seller()
    _admin_client(client)
    html = client.get("/admin/sellers?lang=en").get_data(as_text=True)
    assert html.index("Terasi Jerowaru") < html.index("Toko Terverifikasi")
    assert "Malaysia" in html and "enam tahun" in html and "0123456789" in html
    assert "Pringgasela" in html  # the village
    assert f"/admin/sellers/{waiting.id}/documents/ktp" in html
    assert f"/admin/sellers/{waiting.id}/documents/returnee" in html
    detail = client.get(f"/admin/sellers/{waiting.id}?lang=en")
    assert detail.status_code == 200
    assert f'src="/admin/sellers/{waiting.id}/documents/ktp"' in detail.get_data(as_text=True)


def test_reject_needs_a_reason_and_keeps_the_shop_submitted(client, private_root, outbox):
    seller = _submitted_seller()
    _admin_client(client)
    token = get_csrf(client, "/admin/sellers")
    response = client.post(
        f"/admin/sellers/{seller.id}/reject?lang=en", data={"csrf_token": token, "reason": "  "}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="reason-error"' in html
    db.session.refresh(seller)
    assert seller.status == SellerStatus.SUBMITTED and seller.rejection_reason == ""
    assert not outbox.exists()
    # The old status buttons cannot reject without a reason either.
    response = client.post(
        f"/admin/sellers/{seller.id}/status", data={"csrf_token": token, "status": "rejected"}
    )
    db.session.refresh(seller)
    assert response.status_code == 302 and seller.status == SellerStatus.SUBMITTED


def test_reject_with_reason_is_audited_and_the_seller_is_told(client, private_root, outbox):
    seller = _submitted_seller()
    admin = _admin_client(client)
    reason = "Foto KTP buram: mohon foto ulang di tempat terang."
    response = client.post(
        f"/admin/sellers/{seller.id}/reject",
        data={"csrf_token": get_csrf(client, "/admin/sellers"), "reason": reason},
    )
    assert response.status_code == 302
    db.session.refresh(seller)
    assert seller.status == SellerStatus.REJECTED and seller.rejection_reason == reason
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "seller.reject"))
    assert (event.actor_id, event.subject, event.detail) == (admin.id, seller.slug, reason)
    mail = outbox.read_text(encoding="utf-8")
    assert f"To: {seller.owner.email}" in mail and reason in mail
    assert "/sell/review" in mail


def test_approve_is_audited_tells_the_seller_and_makes_products_public(
    client, private_root, outbox
):
    from tests.factories import make_product

    seller = _submitted_seller()
    product = make_product(seller=seller)
    assert client.get(f"/p/{product.slug}").status_code == 404
    admin = _admin_client(client)
    response = client.post(
        f"/admin/sellers/{seller.id}/approve",
        data={"csrf_token": get_csrf(client, "/admin/sellers")},
    )
    assert response.status_code == 302
    db.session.refresh(seller)
    assert seller.status == SellerStatus.VERIFIED
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "seller.verify"))
    assert (event.actor_id, event.subject) == (admin.id, seller.slug)
    mail = outbox.read_text(encoding="utf-8")
    assert f"To: {seller.owner.email}" in mail and seller.shop_name in mail
    assert f"/shop/{seller.slug}" in mail
    assert client.get(f"/p/{product.slug}").status_code == 200


def test_mail_is_written_in_the_sellers_language(client, private_root, outbox):
    seller = _submitted_seller()
    seller.owner.locale = "en"
    db.session.commit()
    _admin_client(client)
    client.post(
        f"/admin/sellers/{seller.id}/reject",
        data={"csrf_token": get_csrf(client, "/admin/sellers"), "reason": "Blurred KTP."},
    )
    mail = outbox.read_text(encoding="utf-8")
    assert "Reason: Blurred KTP." in mail and "needs changes" in mail


def test_a_refused_decision_changes_nothing_and_sends_no_mail(app_ctx, private_root, outbox):
    from sellers import services

    seller = _submitted_seller()
    admin = make_user(roles=(Role.BUYER, Role.ADMIN))
    with app_ctx.test_request_context():
        services.approve_seller(seller, admin)
        with pytest.raises(services.ShopError):
            services.reject_seller(seller, admin, "too late: it is verified")
    db.session.refresh(seller)
    assert seller.status == SellerStatus.VERIFIED and seller.rejection_reason == ""
    mail = outbox.read_text(encoding="utf-8")
    assert mail.count("To: ") == 1 and "too late" not in mail
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 1
