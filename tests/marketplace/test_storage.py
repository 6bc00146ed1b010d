"""File storage: one contract for local disk and S3-compatible buckets, chosen by configuration.

The S3 backend is exercised against moto's S3 server on 127.0.0.1 (no network): photos are
fetched from the public address as a browser would, and private files are checked to refuse a
plain unsigned GET, which is what a stranger guessing a key would send.
"""

from __future__ import annotations

import io
import json
import os
import socket
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from catalog import services as catalog
from catalog.images import variant_names
from catalog.models import ProductImage, ProductStatus
from marketplace import create_app, media, storage
from marketplace.auth.models import Role
from marketplace.config import ConfigError
from marketplace.storage import LocalStorage, S3Storage
from orders import bank_transfer
from sellers.documents import upload_document
from tests.conftest import base_config, csrf_from, login
from tests.factories import PASSWORD, jpeg_bytes, make_product, make_seller, make_user
from tests.orders.factories import make_order

REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """A moto S3 server for this module, with dummy credentials that never leave the machine."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        }.items():
            env.setenv(name, value)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


def _client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION)


def _new_bucket(endpoint: str, public_prefix: str | None = None) -> str:
    """A fresh bucket; ``public_prefix`` gets the policy an operator would set for media."""
    name = f"mm-{uuid.uuid4().hex[:12]}"
    client = _client(endpoint)
    client.create_bucket(Bucket=name)
    if public_prefix is not None:
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{name}/{public_prefix}*",
                }
            ],
        }
        client.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return name


def _plain_get(url: str) -> tuple[int, bytes, dict]:
    """An unsigned GET, as a browser or a stranger sends it."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - local server
            headers = {k.lower(): v for k, v in response.headers.items()}
            return response.status, response.read(), headers
    except urllib.error.HTTPError as error:
        return error.code, b"", {}


def _keys(endpoint: str, bucket: str, prefix: str = "") -> list[str]:
    listing = _client(endpoint).list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


# --- one contract, both backends ------------------------------------------------------------


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    endpoint = request.getfixturevalue("s3_endpoint")
    return S3Storage(lambda: _client(endpoint), _new_bucket(endpoint), "media/")


def test_saved_file_reads_back_and_is_replaced_whole(store):
    assert not store.exists("products/ab/one.jpg")
    store.save("products/ab/one.jpg", b"first")
    assert store.exists("products/ab/one.jpg")
    assert store.open("products/ab/one.jpg") == b"first"
    store.save("products/ab/one.jpg", b"second")
    assert store.open("products/ab/one.jpg") == b"second"
    assert not store.exists("products/ab")  # a folder of names is not a file


def test_missing_file_is_not_found_and_deleting_it_is_quiet(store):
    assert store.exists("receipts/1/missing.jpg") is False
    with pytest.raises(FileNotFoundError):
        store.open("receipts/1/missing.jpg")
    store.delete("receipts/1/missing.jpg")
    store.save("receipts/1/there.jpg", b"x")
    store.delete("receipts/1/there.jpg")
    assert not store.exists("receipts/1/there.jpg")
    with pytest.raises(FileNotFoundError):
        store.open("receipts/1/there.jpg")


@pytest.mark.parametrize(
    "name", ["", "../secret", "/etc/passwd", "a\\b", "a/../b", "..", "nul\x00.jpg"]
)
def test_names_that_could_escape_are_refused_by_every_method(store, name):
    for call in (
        lambda: store.save(name, b"x"),
        lambda: store.open(name),
        lambda: store.exists(name),
        lambda: store.delete(name),
        lambda: store.url(name),
        lambda: store.path(name),
    ):
        with pytest.raises(ValueError, match="invalid storage name"):
            call()


def test_only_a_bucket_with_a_public_address_links_files_directly(store, s3_endpoint):
    assert store.url("products/ab/x y.webp") is None  # served by the app
    if isinstance(store, S3Storage):
        public = S3Storage(
            lambda: store.client, store.bucket, "media/", public_url="https://cdn.test/m"
        )
        assert public.url("products/ab/x y.webp") == "https://cdn.test/m/products/ab/x%20y.webp"


def test_bucket_failures_surface_as_os_errors(s3_endpoint):
    gone = S3Storage(lambda: _client(s3_endpoint), "no-such-bucket-here", "media/")
    with pytest.raises(OSError, match="refused"):
        gone.save("products/ab/x.jpg", b"x")


def test_bucket_client_is_made_on_first_use_in_each_process(monkeypatch):
    made: list[object] = []
    store = S3Storage(lambda: made.append(object()) or made[-1], "mm-media")
    assert made == []  # nothing made at start-up, before gunicorn forks its workers
    assert store.client is store.client is made[0]
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as seen from a forked worker
    assert store.client is made[1] and len(made) == 2


# --- choosing the backend at start-up -------------------------------------------------------


def _create(tmp_path, **settings):
    config = base_config(f"sqlite:///{tmp_path / 'db.sqlite'}", str(tmp_path / "media"))
    return create_app({**config, **settings})


def test_private_root_inside_media_root_refuses_to_start(tmp_path):
    with pytest.raises(ConfigError, match="PRIVATE_ROOT must not be inside MEDIA_ROOT"):
        _create(tmp_path, PRIVATE_ROOT=str(tmp_path / "media" / "private"))
    with pytest.raises(ConfigError, match="PRIVATE_ROOT must not be inside MEDIA_ROOT"):
        _create(tmp_path, PRIVATE_ROOT=str(tmp_path / "media"))
    app = _create(tmp_path, PRIVATE_ROOT=str(tmp_path / "media-private"))
    assert isinstance(app.extensions["storage"]["private"], LocalStorage)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be one of local, s3"),
        ({"STORAGE_BACKEND": "s3"}, "needs S3_BUCKET"),
        (
            {"STORAGE_BACKEND": "s3", "S3_BUCKET": "mm", "S3_PRIVATE_PREFIX": "media/private"},
            "must not overlap",
        ),
        (
            {"STORAGE_BACKEND": "s3", "S3_BUCKET": "mm", "S3_MEDIA_PREFIX": ""},
            "must not overlap",
        ),
    ],
)
def test_storage_settings_that_would_expose_private_files_refuse_to_start(
    tmp_path, settings, message
):
    with pytest.raises(ConfigError, match=message):
        _create(tmp_path, **settings)


def test_s3_backend_is_chosen_by_configuration(tmp_path):
    app = _create(
        tmp_path,
        STORAGE_BACKEND="s3",
        S3_BUCKET="mm-media",
        S3_PRIVATE_BUCKET="mm-private",
        S3_PRIVATE_PREFIX="",
        S3_PUBLIC_URL="https://cdn.example.id/media/",
        S3_ENDPOINT_URL="http://127.0.0.1:9",
        S3_REGION="ap-southeast-3",
    )
    public, private = app.extensions["storage"]["public"], app.extensions["storage"]["private"]
    assert isinstance(public, S3Storage) and isinstance(private, S3Storage)
    assert (public.bucket, public.prefix) == ("mm-media", "media/")
    assert (private.bucket, private.prefix) == ("mm-private", "")
    assert private.url("receipts/1/r.jpg") is None  # never a public address for private files
    assert public.client.meta.region_name == "ap-southeast-3"
    assert public.client.meta.endpoint_url == "http://127.0.0.1:9"
    with app.app_context():
        assert storage.public_storage() is public and storage.private_storage() is private
        assert media.media_url("products/ab/k-320.webp") == (
            "https://cdn.example.id/media/products/ab/k-320.webp"
        )
    csp = app.test_client().get("/healthz").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://cdn.example.id;" in csp


def test_local_backend_is_the_default_and_keeps_the_strict_image_policy(tmp_path):
    app = _create(tmp_path)
    assert isinstance(app.extensions["storage"]["public"], LocalStorage)
    assert app.extensions["storage"]["public"].root == tmp_path / "media"
    csp = app.test_client().get("/healthz").headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in csp


# --- the app on S3 --------------------------------------------------------------------------


@pytest.fixture()
def s3_app(app_ctx, monkeypatch, s3_endpoint):
    """The test app switched to STORAGE_BACKEND=s3: media under ``media/`` of a bucket whose
    policy makes only that prefix public, private files under ``private/`` of the same bucket."""
    bucket = _new_bucket(s3_endpoint, public_prefix="media/")
    settings = {
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": bucket,
        "S3_PRIVATE_BUCKET": "",
        "S3_MEDIA_PREFIX": "media/",
        "S3_PRIVATE_PREFIX": "private/",
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_REGION": REGION,
        "S3_PUBLIC_URL": f"{s3_endpoint}/{bucket}/media/",
    }
    for key, value in settings.items():
        monkeypatch.setitem(app_ctx.config, key, value)
    storage.check_config(app_ctx.config)
    monkeypatch.setitem(app_ctx.extensions, "storage", storage.build(app_ctx.config))
    return bucket


def _local_files(root) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


def test_photo_uploaded_by_a_seller_is_served_from_the_public_address(
    client, app_ctx, s3_app, s3_endpoint
):
    local_photos = Path(app_ctx.config["MEDIA_ROOT"]) / "products"
    media_before = _local_files(local_photos)
    seller = make_seller()
    product = make_product(seller=seller, status=ProductStatus.PUBLISHED)
    login(client, seller.owner.email, PASSWORD)
    page = client.get(f"/seller/products/{product.id}/edit").get_data(as_text=True)
    response = client.post(
        f"/seller/products/{product.id}/photos",
        data={
            "csrf_token": csrf_from(page),
            "photos": [(io.BytesIO(jpeg_bytes(900, 900)), "foto.jpg")],
            "alt_text": "Gula semut",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    image = db_image()
    names = variant_names("products", image.key, image.variant_widths)
    assert _keys(s3_endpoint, s3_app) == sorted(f"media/{n}" for n in names)
    assert _local_files(local_photos) == media_before  # nothing on local disk

    public_url = f"{s3_endpoint}/{s3_app}/media/products/{image.key[:2]}/{image.key}-640.webp"
    html = client.get(f"/p/{product.slug}").get_data(as_text=True)
    assert f'srcset="{public_url.replace("-640.webp", "-320.webp")} 320w' in html
    # Every photo link points at the bucket's public address, none at this site's /media/.
    assert html.count("/media/products/") == html.count(f"/{s3_app}/media/products/") > 0
    status, body, headers = _plain_get(public_url)
    assert status == 200 and body[:4] == b"RIFF" and body[8:12] == b"WEBP"
    assert headers["content-type"] == "image/webp"
    assert "immutable" in headers["cache-control"]


def db_image() -> ProductImage:
    from marketplace.extensions import db

    return db.session.scalars(select(ProductImage)).one()


def test_media_route_streams_from_the_bucket_without_a_public_address(
    client, app_ctx, s3_app, monkeypatch
):
    monkeypatch.setattr(storage.public_storage(), "public_url", "")
    product = make_product(seller=make_seller(), status=ProductStatus.PUBLISHED)
    (image,) = catalog.add_product_images(product, [(jpeg_bytes(700, 700), "Terasi")])
    name = f"products/{image.key[:2]}/{image.key}-640.jpg"
    assert f"/media/{name}" in client.get(f"/p/{product.slug}").get_data(as_text=True)
    response = client.get(f"/media/{name}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.data == storage.public_storage().open(name)
    assert "max-age=31536000" in response.headers["Cache-Control"]
    for missing in ("products/zz/missing-640.webp", "../private/receipts/1/x.jpg"):
        assert client.get(f"/media/{missing}").status_code == 404


def test_receipt_is_private_in_the_bucket_and_served_to_admins_through_the_app(
    client, app_ctx, s3_app, s3_endpoint
):
    buyer = make_user(email="dewi@example.id")
    admin = make_user(email="admin@example.id", roles=(Role.ADMIN,))
    order = make_order([(make_product(make_seller()), 1)], buyer=buyer)
    login(client, buyer.email, PASSWORD)
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    response = client.post(
        f"/orders/{order.number}/receipt",
        data={"csrf_token": csrf_from(page), "receipt": (io.BytesIO(jpeg_bytes()), "bukti.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    payment = bank_transfer.get_payment(order.payments[0].id)
    key = f"private/{payment.receipt_key}"
    assert _keys(s3_endpoint, s3_app) == [key]
    assert _keys(s3_endpoint, s3_app, "media/") == []

    # A stranger who knows the key, by the bucket or by the public address, gets nothing.
    assert _plain_get(f"{s3_endpoint}/{s3_app}/{key}")[0] == 403
    assert _plain_get(f"{s3_endpoint}/{s3_app}/media/{payment.receipt_key}")[0] == 404
    assert client.get(f"/media/{payment.receipt_key}").status_code == 404
    acl = _client(s3_endpoint).get_object_acl(Bucket=s3_app, Key=key)
    assert all("AllUsers" not in str(grant.get("Grantee", {})) for grant in acl["Grants"])

    url = f"/admin/payments/{payment.id}/receipt"
    assert client.get(url).status_code == 403  # the buyer uploaded it, only staff check it
    admin_client = client.application.test_client()
    login(admin_client, admin.email, PASSWORD)
    response = admin_client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "private, no-store"
    stored = _client(s3_endpoint).get_object(Bucket=s3_app, Key=key)["Body"].read()
    assert response.data == stored


def test_identity_document_is_private_in_the_bucket(client, app_ctx, s3_app, s3_endpoint):
    seller = make_seller()
    document = upload_document(seller, "ktp", jpeg_bytes(900, 600))
    key = f"private/{document.storage_key}"
    assert _keys(s3_endpoint, s3_app) == [key]
    assert _plain_get(f"{s3_endpoint}/{s3_app}/{key}")[0] == 403
    admin = make_user(email="admin@example.id", roles=(Role.ADMIN,))
    login(client, admin.email, PASSWORD)
    response = client.get(f"/admin/sellers/{seller.id}/documents/ktp")
    assert response.status_code == 200
    assert response.data == _client(s3_endpoint).get_object(Bucket=s3_app, Key=key)["Body"].read()


# --- deleting photos, both backends ---------------------------------------------------------


@pytest.fixture(params=["local", "s3"])
def stored_names(request, app_ctx):
    """Lists what the app's media store holds, for whichever backend the test runs on."""
    if request.param == "local":
        root = Path(app_ctx.config["MEDIA_ROOT"])
        return lambda: sorted(str(p.relative_to(root)) for p in _local_files(root / "products"))
    bucket = request.getfixturevalue("s3_app")
    endpoint = request.getfixturevalue("s3_endpoint")
    return lambda: [k.removeprefix("media/") for k in _keys(endpoint, bucket, "media/products/")]


def test_deleting_a_photo_removes_its_files_once_no_product_shows_it(client, app_ctx, stored_names):
    seller = make_seller()
    first, second = make_product(seller=seller), make_product(seller=seller)
    before = stored_names()
    photo = jpeg_bytes(901, 703, color=(121, 61, 29))  # a photo no other test stores
    (kept,) = catalog.add_product_images(first, [(photo, "a")])
    (shared,) = catalog.add_product_images(second, [(photo, "b")])  # the same photo twice
    names = variant_names("products", kept.key, kept.variant_widths)
    assert sorted(set(stored_names()) - set(before)) == sorted(names)

    login(client, seller.owner.email, PASSWORD)
    page = client.get(f"/seller/products/{second.id}/edit").get_data(as_text=True)
    response = client.post(
        f"/seller/products/{second.id}/photos/{shared.id}/delete",
        data={"csrf_token": csrf_from(page)},
    )
    assert response.status_code == 302
    assert sorted(set(stored_names()) - set(before)) == sorted(names)  # still shown on `first`

    page = client.get(f"/seller/products/{first.id}/edit").get_data(as_text=True)
    response = client.post(
        f"/seller/products/{first.id}/photos/{kept.id}/delete",
        data={"csrf_token": csrf_from(page)},
    )
    assert response.status_code == 302
    assert stored_names() == before
