"""Admin money screens under ``/admin``: transfers to confirm, orders, payouts."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_orders", __name__, url_prefix="/admin")
