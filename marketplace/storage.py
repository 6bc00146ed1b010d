"""Where uploaded files live: local disk for one machine, S3-compatible object storage for several.

Two stores, chosen once at start-up by ``STORAGE_BACKEND`` and reached only through
``public_storage()`` (product photos: anyone may read them) and ``private_storage()``
(transfer receipts, identity documents: served only through the app to staff). Callers never
name a backend, so every app server behind a load balancer sees the same files when they live
in a bucket (DESIGN §7).

Names are relative POSIX paths (``products/ab/<key>-640.webp``). Anything that could escape the
root (absolute paths, ``..``, backslashes) is refused, so a crafted name can never read or
overwrite files outside it.
"""

from __future__ import annotations

import mimetypes
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import quote

from flask import Flask, current_app

from marketplace.config import ConfigError

PUBLIC_CACHE_CONTROL = "public, max-age=31536000, immutable"
PRIVATE_CACHE_CONTROL = "private, no-store"


class Storage(Protocol):
    def save(self, name: str, data: bytes) -> None: ...
    def open(self, name: str) -> bytes: ...
    def exists(self, name: str) -> bool: ...
    def delete(self, name: str) -> None: ...
    def path(self, name: str) -> Path | None: ...
    def url(self, name: str) -> str | None: ...


def _checked(name: str) -> PurePosixPath:
    if not name or "\\" in name or "\x00" in name:
        raise ValueError(f"invalid storage name: {name!r}")
    pure = PurePosixPath(name)
    if pure.is_absolute() or any(part in ("..", ".", "") for part in pure.parts):
        raise ValueError(f"invalid storage name: {name!r}")
    return pure


class LocalStorage:
    """Files under one root directory (created with the first file, not at start-up)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        return self.root.joinpath(*_checked(name).parts)

    def url(self, name: str) -> None:
        """Local files have no address of their own: the app serves them."""
        _checked(name)
        return None

    def save(self, name: str, data: bytes) -> None:
        """Write to a temporary file and rename: readers never see half a file."""
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)


class S3Storage:
    """Objects under one key prefix of an S3-compatible bucket (AWS S3, MinIO, R2, …).

    A ``public_url`` means the objects are reachable there without signing (a CDN, or a bucket
    policy allowing reads of this prefix), so pages link to it directly; without one the app
    streams them. Objects are written without an ACL, so a bucket that disables ACLs (the AWS
    default) accepts them and nothing becomes public unless the operator's policy says so; a
    bucket that still uses ACLs can be given ``acl="public-read"`` for the media store.
    """

    def __init__(
        self,
        make_client: Callable[[], Any],
        bucket: str,
        prefix: str = "",
        *,
        public_url: str = "",
        acl: str = "",
        cache_control: str = PRIVATE_CACHE_CONTROL,
    ) -> None:
        self._make_client = make_client
        self._client: Any = None
        self._client_pid = 0
        self._lock = threading.Lock()
        self.bucket = bucket
        self.prefix = prefix
        self.public_url = public_url.rstrip("/") + "/" if public_url else ""
        self.acl = acl
        self.cache_control = cache_control

    @property
    def client(self) -> Any:
        """Made on first use in each process: a client made before gunicorn forks would share
        its connections between workers, and boto3 does not make clients safely from threads."""
        with self._lock:
            if self._client is None or self._client_pid != os.getpid():
                self._client = self._make_client()
                self._client_pid = os.getpid()
            return self._client

    def key(self, name: str) -> str:
        return self.prefix + str(_checked(name))

    def path(self, name: str) -> None:
        _checked(name)
        return None

    def url(self, name: str) -> str | None:
        checked = str(_checked(name))
        return self.public_url + quote(checked) if self.public_url else None

    def save(self, name: str, data: bytes) -> None:
        """One PUT: S3 stores an object whole or not at all, so readers never see half."""
        extra = {"ACL": self.acl} if self.acl else {}
        key = self.key(name)
        with _as_os_error(name):
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType=mimetypes.guess_type(name)[0] or "application/octet-stream",
                CacheControl=self.cache_control,
                **extra,
            )

    def open(self, name: str) -> bytes:
        key = self.key(name)
        with _as_os_error(name):
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            with response["Body"] as body:
                return body.read()

    def exists(self, name: str) -> bool:
        key = self.key(name)
        try:
            with _as_os_error(name):
                self.client.head_object(Bucket=self.bucket, Key=key)
        except FileNotFoundError:
            return False
        return True

    def delete(self, name: str) -> None:
        """Deleting a missing object succeeds on S3, as ``unlink(missing_ok=True)`` does."""
        key = self.key(name)
        with _as_os_error(name):
            self.client.delete_object(Bucket=self.bucket, Key=key)


@contextmanager
def _as_os_error(name: str) -> Iterator[None]:
    """Bucket errors as the ``OSError`` family local files raise, so callers handle one kind:
    a missing object is ``FileNotFoundError``, anything else (refused, unreachable) ``OSError``.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in ("404", "NoSuchKey", "NotFound"):
            raise FileNotFoundError(name) from exc
        raise OSError(f"object storage refused {name!r}: {code}") from exc
    except BotoCoreError as exc:
        raise OSError(f"object storage unreachable for {name!r}") from exc


# --- choosing the backend --------------------------------------------------------------------

BACKENDS = ("local", "s3")


def _prefix(value: str) -> str:
    value = value.strip("/")
    return value + "/" if value else ""


def check_config(config: dict) -> None:
    """Refuse, at start-up, any setting that would make private files public.

    Everything in the media store is served to anyone (``/media/`` or the public URL), so the
    private store must not lie inside it.
    """
    backend = config.get("STORAGE_BACKEND", "local")
    if backend not in BACKENDS:
        raise ConfigError(f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend == "local":
        private = Path(config["PRIVATE_ROOT"]).resolve()
        public = Path(config["MEDIA_ROOT"]).resolve()
        if private == public or private.is_relative_to(public):
            raise ConfigError(
                "PRIVATE_ROOT must not be inside MEDIA_ROOT: everything under MEDIA_ROOT is "
                "served publicly, so receipts and identity documents would be public. "
                f"Move PRIVATE_ROOT ({private}) out of MEDIA_ROOT ({public})."
            )
        return
    if not config.get("S3_BUCKET"):
        raise ConfigError("STORAGE_BACKEND=s3 needs S3_BUCKET (the bucket for product photos).")
    private_bucket = config.get("S3_PRIVATE_BUCKET") or config["S3_BUCKET"]
    media_prefix = _prefix(config.get("S3_MEDIA_PREFIX", ""))
    private_prefix = _prefix(config.get("S3_PRIVATE_PREFIX", ""))
    if private_bucket == config["S3_BUCKET"] and (
        private_prefix.startswith(media_prefix) or media_prefix.startswith(private_prefix)
    ):
        raise ConfigError(
            "S3_PRIVATE_PREFIX must not overlap S3_MEDIA_PREFIX in the same bucket: the media "
            "prefix is public, so receipts and identity documents would be public. Use "
            "S3_PRIVATE_BUCKET or two separate prefixes (e.g. media/ and private/)."
        )


def s3_client(config: dict) -> Any:
    """A boto3 client; credentials come from the standard AWS variables or the host's role."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=config.get("S3_ENDPOINT_URL") or None,
        region_name=config.get("S3_REGION") or None,
        config=Config(signature_version="s3v4", retries={"mode": "standard"}),
    )


def build(config: dict) -> dict[str, Storage]:
    """The media and private stores for ``config`` (already checked)."""
    if config.get("STORAGE_BACKEND", "local") == "local":
        return {
            "public": LocalStorage(config["MEDIA_ROOT"]),
            "private": LocalStorage(config["PRIVATE_ROOT"]),
        }
    settings = dict(config)

    def make_client() -> Any:
        return s3_client(settings)

    return {
        "public": S3Storage(
            make_client,
            config["S3_BUCKET"],
            _prefix(config.get("S3_MEDIA_PREFIX", "")),
            public_url=config.get("S3_PUBLIC_URL", ""),
            acl=config.get("S3_MEDIA_ACL", ""),
            cache_control=PUBLIC_CACHE_CONTROL,
        ),
        "private": S3Storage(
            make_client,
            config.get("S3_PRIVATE_BUCKET") or config["S3_BUCKET"],
            _prefix(config.get("S3_PRIVATE_PREFIX", "")),
        ),
    }


def init_app(app: Flask) -> None:
    check_config(app.config)
    app.extensions["storage"] = build(app.config)


def public_storage() -> Storage:
    """Product photos and other media anyone may see."""
    return current_app.extensions["storage"]["public"]


def private_storage() -> Storage:
    """Files only staff may see (transfer receipts, identity documents); never linked publicly."""
    return current_app.extensions["storage"]["private"]


def public_origin(config: dict) -> str | None:
    """``scheme://host`` of the public media address, for the content-security policy."""
    from urllib.parse import urlsplit

    if config.get("STORAGE_BACKEND", "local") != "s3" or not config.get("S3_PUBLIC_URL"):
        return None
    parts = urlsplit(config["S3_PUBLIC_URL"])
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
