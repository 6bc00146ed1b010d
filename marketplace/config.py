"""Layered configuration: class defaults, then the environment, then an explicit mapping.

Everything an operator may change comes from environment variables so that the same code runs
on a laptop (SQLite, local disk) and in production (PostgreSQL, secrets injected by the host).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - the value production refuses to start with


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Hosting platforms hand out ``postgres://`` URLs; SQLAlchemy needs the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


# werkzeug.security.generate_password_hash's default (a method name, not a secret).
DEFAULT_PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105


def from_environment(instance_path: Path) -> dict:
    """Build the settings dictionary from the process environment with development defaults."""
    env = os.environ
    production = env.get("MARKETPLACE_ENV", "development") == "production"
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'marketplace.sqlite'}"
    return {
        "ENV_NAME": "production" if production else "development",
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MEDIA_ROOT": env.get("MEDIA_ROOT", str(instance_path / "media")),
        "MAX_IMAGE_BYTES": int(env.get("MAX_IMAGE_BYTES", str(10 * 1024 * 1024))),
        "MAX_IMAGES_PER_PRODUCT": int(env.get("MAX_IMAGES_PER_PRODUCT", "8")),
        # Request bodies above this are refused before any view runs (a few photos at once).
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(40 * 1024 * 1024))),
        # "whoosh" (index files on local disk) or "postgres" (one index in the database, for
        # several app servers sharing one catalogue).
        "SEARCH_BACKEND": env.get("SEARCH_BACKEND", "whoosh"),
        "SEARCH_INDEX_DIR": env.get("SEARCH_INDEX_DIR", str(instance_path / "search-index")),
        # "database://" keeps the counters in the app's database, shared by every worker;
        # "redis://…" for several servers; "memory://" only for a single process.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "database://"),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        # Adds Retry-After (and X-RateLimit-*) so a refused client knows when to try again.
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        # Wrong workshop join codes per client address (right codes are never counted, so a
        # room of phones behind one village connection can join at once).
        "JOIN_CODE_RATE_LIMIT": env.get("JOIN_CODE_RATE_LIMIT", "30 per minute;200 per hour"),
        # werkzeug's method string for password (and reset code) hashes: its own default,
        # scrypt, in every real deployment; the tests choose a cheap one so the suite runs fast.
        # Existing hashes keep verifying whatever this says: each hash names its own method.
        "PASSWORD_HASH_METHOD": env.get("PASSWORD_HASH_METHOD", DEFAULT_PASSWORD_HASH_METHOD),
        # Requests to the public JSON API (/api/v1) per client address.
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", "120 per minute"),
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), production),
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), production),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # Number of reverse proxies in front (nginx: 1). Their X-Forwarded-* headers then give
        # the real client address (rate limits) and scheme/host (links in shares and emails).
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "PRODUCTS_PER_PAGE": int(env.get("PRODUCTS_PER_PAGE", "24")),
        # Anonymous public pages are served from a cache for this long (0 turns it off).
        "PAGE_CACHE_SECONDS": int(env.get("PAGE_CACHE_SECONDS", "30")),
        # In-process by default; a Redis URL shares the cache (and its invalidation) across
        # every gunicorn worker and server.
        "CACHE_TYPE": "RedisCache" if env.get("CACHE_REDIS_URL") else "SimpleCache",
        "CACHE_REDIS_URL": env.get("CACHE_REDIS_URL", ""),
        "CACHE_KEY_PREFIX": "mm:",
        "CACHE_THRESHOLD": 2000,
        # Product page views are counted in each worker's memory and written in batches:
        # after this many views or this many seconds, whichever comes first (and at exit).
        "VIEW_COUNTING": _bool(env.get("VIEW_COUNTING"), True),
        "VIEW_COUNT_BATCH": int(env.get("VIEW_COUNT_BATCH", "500")),
        "VIEW_COUNT_SECONDS": int(env.get("VIEW_COUNT_SECONDS", "60")),
        # --- orders and payments -------------------------------------------------------
        # Platform commission on the goods (not shipping), in basis points: 500 = 5 %.
        "COMMISSION_BASIS_POINTS": int(env.get("COMMISSION_BASIS_POINTS", "500")),
        # Unpaid orders expire (and give their stock back) after this many hours.
        "ORDER_PAYMENT_HOURS": int(env.get("ORDER_PAYMENT_HOURS", "24")),
        # Shipped orders complete by themselves this many days after shipping.
        "AUTO_COMPLETE_DAYS": int(env.get("AUTO_COMPLETE_DAYS", "14")),
        # A guest's order link stops opening the order this many days after it closed
        # (completed, cancelled or expired); while the order is open it always works.
        "GUEST_LINK_DAYS": int(env.get("GUEST_LINK_DAYS", "60")),
        # The e-mailed link that joins a guest's earlier orders to their account is valid
        # for this long.
        "GUEST_JOIN_LINK_HOURS": int(env.get("GUEST_JOIN_LINK_HOURS", "72")),
        # Card payments through Stripe Checkout appear only when a secret key is set.
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET", ""),
        # Only for a local fake in tests and benchmarks; empty means Stripe's own servers.
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE", ""),
        # Stripe wants about US$0.50 at least; amounts above the maximum go by bank transfer.
        "STRIPE_MIN_AMOUNT": int(env.get("STRIPE_MIN_AMOUNT", "10000")),
        "STRIPE_MAX_AMOUNT": int(env.get("STRIPE_MAX_AMOUNT", "50000000")),
        # The platform's account that buyers transfer to (shown on the order page).
        "BANK_NAME": env.get("BANK_NAME", "Bank Rakyat Indonesia (BRI)"),
        "BANK_ACCOUNT_NUMBER": env.get("BANK_ACCOUNT_NUMBER", "0000-01-000000-30-0"),
        "BANK_ACCOUNT_HOLDER": env.get("BANK_ACCOUNT_HOLDER", "Migrant Mart (contoh)"),
        # E-mail: SMTP when MAIL_SERVER is set, otherwise written to an outbox file.
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(env.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS"), True),
        "MAIL_FROM": env.get("MAIL_FROM", "Migrant Mart <pesanan@migrantmart.id>"),
        "MAIL_OUTBOX": env.get("MAIL_OUTBOX", str(instance_path / "outbox.log")),
        # Transfer receipts are private: never under MEDIA_ROOT, which is served publicly.
        "PRIVATE_ROOT": env.get("PRIVATE_ROOT", str(instance_path / "private")),
        # Where uploads live: "local" (MEDIA_ROOT and PRIVATE_ROOT on this machine) or "s3"
        # (an S3-compatible bucket shared by several app servers). S3 credentials come from
        # the standard AWS variables (AWS_ACCESS_KEY_ID, …) or the host's role, never from here.
        "STORAGE_BACKEND": env.get("STORAGE_BACKEND", "local"),
        "S3_BUCKET": env.get("S3_BUCKET", ""),
        "S3_MEDIA_PREFIX": env.get("S3_MEDIA_PREFIX", "media/"),
        # Receipts and identity documents: their own bucket, or a prefix of S3_BUCKET that no
        # bucket policy or CDN makes public. The app streams them to staff.
        "S3_PRIVATE_BUCKET": env.get("S3_PRIVATE_BUCKET", ""),
        "S3_PRIVATE_PREFIX": env.get("S3_PRIVATE_PREFIX", "private/"),
        # Public address of S3_MEDIA_PREFIX (a CDN or the bucket's URL): pages link photos
        # there. Empty: the app serves them at /media/ from the bucket.
        "S3_PUBLIC_URL": env.get("S3_PUBLIC_URL", ""),
        # "public-read" for a bucket that still uses object ACLs; empty when a bucket policy or
        # CDN grants the public reads (the AWS default, where ACLs are disabled).
        "S3_MEDIA_ACL": env.get("S3_MEDIA_ACL", ""),
        "S3_ENDPOINT_URL": env.get("S3_ENDPOINT_URL", ""),  # MinIO, R2, …; empty for AWS
        "S3_REGION": env.get("S3_REGION", ""),
        # Training modules a seller must finish before publishing (slugs, comma-separated).
        "REQUIRED_TRAINING_MODULES": [
            slug.strip()
            for slug in env.get(
                "REQUIRED_TRAINING_MODULES", "buka-toko,foto-produk,judul-deskripsi"
            ).split(",")
            if slug.strip()
        ],
        # A closed workshop's frozen practice data (products, orders, ledger lines, reviews)
        # is deleted by `flask practice purge` this many days after the workshop closed.
        "PRACTICE_RETENTION_DAYS": int(env.get("PRACTICE_RETENTION_DAYS", "30")),
        # WhatsApp number of the platform's customer service (click-to-chat links).
        "SUPPORT_WHATSAPP": env.get("SUPPORT_WHATSAPP", "6281100000000"),
    }


class Defaults:
    """Values that are not environment-dependent; the environment and explicit config win."""

    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "marketplace" / "translations")
    LANGUAGES = ("id", "en")
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # a workshop lasts hours; forms opened early must still post
    SEND_FILE_MAX_AGE_DEFAULT = 3600
    TESTING = False


class ConfigError(RuntimeError):
    """Raised at start-up for a configuration that must never serve traffic."""


def check_production_safety(config: dict) -> None:
    """Refuse to run production with the development secret: sessions could be forged."""
    if config.get("ENV_NAME") == "production" and config.get("SECRET_KEY") in (
        None,
        "",
        DEV_SECRET_KEY,
    ):
        raise ConfigError(
            "SECRET_KEY is unset or the development default; set a long random SECRET_KEY "
            "in the environment before starting in production."
        )
