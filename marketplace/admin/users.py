"""``/admin/users``: find an account, issue a one-time password-reset code, grant roles.

For sellers with a phone and no usable e-mail (common in villages) the e-mailed link cannot
reach them; an admin or the trainer's programme team hands the code over in person. The code is
shown once, on the page that issued it, and each issue is written to the audit log.

Trainers (programme facilitators) and admins are named here too: a role is granted or removed
by an admin, each change audited; nobody can remove their own admin role.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.admin import admin_blueprint, register_section
from marketplace.auth import services as auth_services
from marketplace.auth.models import Role, User
from marketplace.extensions import db
from marketplace.forms import EmptyForm

bp = admin_blueprint("admin_users", __name__, url_prefix="/admin/users")
# Roles an admin hands out here; buyer and seller come from sign-up and the shop wizard.
MANAGED_ROLES = (Role.TRAINER, Role.ADMIN)
register_section(bp, _l("Accounts"), "admin_users.find", order=50)


@bp.get("/")
def find():
    query = (request.args.get("q") or "").strip()[:120]
    return render_template(
        "admin/users.html",
        query=query,
        users=auth_services.find_users(query),
        action_form=EmptyForm(),
        managed_roles=MANAGED_ROLES,
    )


@bp.post("/<int:user_id>/roles")
def change_role(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    query = (request.form.get("q") or "").strip()[:120]
    back = redirect(url_for("admin_users.find", q=query or user.email))
    role = {r.value: r for r in MANAGED_ROLES}.get(request.form.get("role", ""))
    action = request.form.get("action", "")
    if role is None or action not in ("grant", "remove"):
        abort(400)
    if not EmptyForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return back
    try:
        changed = auth_services.change_role_by_admin(
            user, role, grant=action == "grant", admin=current_user
        )
    except auth_services.RoleChangeRefused:
        flash(_("You cannot remove your own admin role. Ask another admin."), "error")
        return back
    if changed:
        flash(_("The roles of %(name)s are changed.", name=user.name), "success")
    return back


@bp.post("/<int:user_id>/reset-code")
def reset_code(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("admin_users.find"))
    code = auth_services.issue_reset_code_by_admin(user, current_user)
    response = render_template("admin/user_reset_code.html", user=user, code=code)
    # The code is for the eyes of the admin in front of the screen, not for any cache.
    return response, 200, {"Cache-Control": "no-store"}
