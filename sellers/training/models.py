"""Training progress and certificates."""

from __future__ import annotations
