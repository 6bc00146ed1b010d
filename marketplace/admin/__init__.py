"""Programme admin pages under ``/admin``: the one guard, the home page and its sections.

Every admin blueprint is made with ``admin_blueprint`` so it sits behind the same guard
(DESIGN §4.10): anonymous visitors are sent to log in, every other non-admin gets 403. The core
knows no domain: each domain package owns its admin pages and, when its blueprint is registered,
adds its sections (``register_section``) and headline numbers (``register_stat``) to the home.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.auth.models import User
from marketplace.auth.permissions import admins_only
from marketplace.extensions import db

_SECTIONS = "admin_sections"
_STATS = "admin_stats"


def admin_blueprint(name: str, import_name: str, url_prefix: str = "/admin") -> Blueprint:
    """A blueprint for admin pages, guarded like every other one."""
    blueprint = Blueprint(name, import_name, url_prefix=url_prefix)
    blueprint.before_request(admins_only)
    return blueprint


bp = admin_blueprint("admin", __name__)


@dataclass(frozen=True)
class Section:
    title: str
    endpoint: str
    order: int
    primary: bool = False


@dataclass(frozen=True)
class Stat:
    """A headline number, e.g. "12 shops (9 verified)": ``count`` with ``label``, and an
    optional ``part`` (count, label) shown in brackets."""

    order: int
    count: Callable[[], int | None]
    label: str
    part: tuple[Callable[[], int | None], str] | None = None


def register_section(
    blueprint: Blueprint, title, endpoint: str, *, order: int, primary: bool = False
) -> None:
    """List a page on the admin home once ``blueprint`` is registered on an app."""
    section = Section(title, endpoint, order, primary)
    blueprint.record_once(
        lambda state: state.app.extensions.setdefault(_SECTIONS, []).append(section)
    )


def register_stat(blueprint: Blueprint, stat: Stat) -> None:
    """Show a headline number on the admin home once ``blueprint`` is registered on an app."""
    blueprint.record_once(lambda state: state.app.extensions.setdefault(_STATS, []).append(stat))


register_stat(
    bp,
    Stat(10, lambda: db.session.scalar(select(func.count(User.id))), _l("accounts")),
)


@bp.get("/")
def dashboard():
    sections = sorted(current_app.extensions.get(_SECTIONS, []), key=lambda s: s.order)
    stats = sorted(current_app.extensions.get(_STATS, []), key=lambda s: s.order)
    return render_template("admin/dashboard.html", sections=sections, stats=stats)
