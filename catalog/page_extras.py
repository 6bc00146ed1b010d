"""Parts of public catalogue pages that packages above the catalogue provide.

A product page shows the latest reviews and a shop page its rating and reviews, but reviews
belong to orders, which builds on the catalogue. Orders therefore registers a provider for a
page when its blueprint is registered (``provide``), and the catalogue's views ask for whatever
is registered (``collect``), with defaults that let the page render without any provider.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app

_KEY = "catalog_page_extras"


def provide(blueprint: Blueprint, page: str, provider: Callable[[Any], dict]) -> None:
    """Add ``provider(obj)``'s keys to the context of ``page`` ("product", "shop")."""
    blueprint.record_once(
        lambda state: (
            state.app.extensions.setdefault(_KEY, {}).setdefault(page, []).append(provider)
        )
    )


def collect(page: str, obj, **defaults) -> dict:
    context = dict(defaults)
    for provider in current_app.extensions.get(_KEY, {}).get(page, []):
        context.update(provider(obj))
    return context
