"""``/learn``: the training modules, quizzes and certificates."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("learn", __name__)
