"""Views never write to the database session: services own the transaction (DESIGN §4.5).

A view that commits splits a use case in two, so half of it can stand without the other half,
and the e-mail or index update scheduled after the first commit can describe a state that the
second one never reaches. The scan reads the source (no app needed), so a new ``commit()`` in a
view fails here before any behaviour test has to notice it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("marketplace", "catalog", "orders", "sellers")
VIEW_NAMES = ("views.py", "*_views.py", "api.py", "webhooks.py")
# Nothing is left out: the core's admin shell and every domain's admin pages are scanned too.
NOT_YET: tuple[str, ...] = ()
# Flask's own, and the core's guarded one that every admin page is made with.
BLUEPRINT_MAKERS = {"Blueprint", "admin_blueprint"}
WRITES = {"commit", "add", "add_all", "delete", "flush", "merge", "rollback"}


def _defines_blueprint(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id in BLUEPRINT_MAKERS)
            or (isinstance(node.func, ast.Attribute) and node.func.attr in BLUEPRINT_MAKERS)
        )
        for node in ast.walk(tree)
    )


def view_modules() -> list[Path]:
    """Modules named like views, and any other module that makes a blueprint (its routes)."""
    found: set[Path] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(NOT_YET):
                continue
            named = any(path.match(pattern) for pattern in VIEW_NAMES)
            if named or _defines_blueprint(ast.parse(path.read_text(encoding="utf-8"))):
                found.add(path)
    return sorted(found)


def _is_session(node: ast.expr) -> bool:
    """``db.session``, ``db.session()`` or any other name ending in ``session``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr == "session"
    return isinstance(node, ast.Name) and node.id.endswith("session")


def session_writes(source: str) -> list[str]:
    """``line: call`` for every write to a database session in ``source``.

    Flask's cookie ``session`` has none of these methods, so it is never mistaken for one.
    """
    return [
        f"{node.lineno}: {ast.unparse(node.func)}()"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in WRITES
        and _is_session(node.func.value)
    ]


def test_the_scan_finds_every_view_module():
    found = {path.relative_to(ROOT).as_posix() for path in view_modules()}
    assert {
        "marketplace/auth/views.py",
        "marketplace/core_views.py",
        "marketplace/media.py",  # no views in its name, but a blueprint with a route
        "marketplace/admin/__init__.py",
        "marketplace/admin/users.py",
        "sellers/admin_views.py",
        "catalog/views.py",
        "catalog/api.py",
        "orders/views.py",
        "orders/seller_views.py",
        "orders/admin_views.py",
        "orders/webhooks.py",
        "sellers/views.py",
        "sellers/onboarding_views.py",
        "sellers/share_views.py",
        "sellers/training/views.py",
    } <= found
    assert "orders/reviews.py" not in found  # a service whose name merely ends in "views"
    assert not any(name.startswith(NOT_YET) for name in found)


def test_the_scan_recognises_session_writes():
    source = (
        "from flask import session\n"
        "def view():\n"
        "    session.pop('cart', None)\n"
        "    db.session.get(Order, 1)\n"
        "    db.session.add(order)\n"
        "    db.session().commit()\n"
        "    db_session.delete(order)\n"
    )
    assert session_writes(source) == [
        "5: db.session.add()",
        "6: db.session().commit()",
        "7: db_session.delete()",
    ]


@pytest.mark.parametrize("path", view_modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_views_leave_the_transaction_to_services(path: Path):
    assert session_writes(path.read_text(encoding="utf-8")) == []
