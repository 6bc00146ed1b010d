"""The share kit: ready WhatsApp messages, links and printable QR posters."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("share", __name__)
