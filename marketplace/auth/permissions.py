"""Central permission checks (DESIGN §4.10): decorators that 401/403, never ad-hoc ``if``s."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from marketplace.auth.models import Role


def role_required(role: Role):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def admins_only():
    """``before_request`` guard for admin blueprints: log in first, then admins only."""
    from marketplace.extensions import login_manager

    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_admin:
        abort(403)
    return None
