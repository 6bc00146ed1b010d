"""``/admin/users``: find an account and issue a one-time password-reset code.

For sellers with a phone and no usable e-mail (common in villages) the e-mailed link cannot
reach them; an admin or the trainer's programme team hands the code over in person. The code is
shown once, on the page that issued it, and each issue is written to the audit log.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.admin import admin_blueprint, register_section
from marketplace.auth import services as auth_services
from marketplace.auth.models import User
from marketplace.extensions import db
from marketplace.forms import EmptyForm

bp = admin_blueprint("admin_users", __name__, url_prefix="/admin/users")
register_section(bp, _l("Accounts"), "admin_users.find", order=50)


@bp.get("/")
def find():
    query = (request.args.get("q") or "").strip()[:120]
    return render_template(
        "admin/users.html",
        query=query,
        users=auth_services.find_users(query),
        action_form=EmptyForm(),
    )


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
