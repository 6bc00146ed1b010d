"""``POST /webhooks/stripe``: provider events, verified on the raw body (DESIGN §4.9)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
