"""``/sell`` and the onboarding wizard for new sellers."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("onboarding", __name__)
