"""Sales statements in the back office (``/seller/statements``) and their public check
(``/verify/<code>``), which needs no login: a bank officer scans the QR code and compares."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.auth.models import Role
from marketplace.auth.permissions import role_required
from marketplace.forms import EmptyForm
from sellers import services, statement_files, statements
from sellers.forms import StatementForm

bp = Blueprint("statements", __name__, url_prefix="/seller/statements")
verify_bp = Blueprint("verify", __name__)

# Each is shown under "To month", the field a seller changes to mend the period.
PERIOD_PROBLEMS = {
    "reversed": lambda: _("The last month cannot come before the first month."),
    "future": lambda: _("A statement cannot cover a month that has not come yet."),
    "too_long": lambda: _("A statement covers at most %(n)s months.", n=statements.MAX_MONTHS),
}


def _seller():
    seller = services.seller_for(current_user)
    if seller is None:
        abort(404)
    return seller


def _own(statement_id: int):
    statement = statements.get_own(services.seller_for(current_user), statement_id)
    if statement is None:
        abort(404)
    return statement


def _verify_url(statement) -> str:
    return url_for("verify.verify", code=statement.code, _external=True)


def _shown(statement) -> dict:
    url = _verify_url(statement)
    return {
        "verify_url": url,
        "qr": statement_files.qr_svg(url),
        "month_label": statement_files.month_label,
        "first_sale": statements.sale_time(statement.figures["first_sale"]),
        "last_sale": statements.sale_time(statement.figures["last_sale"]),
    }


@bp.route("", methods=["GET", "POST"])
@role_required(Role.SELLER)
def index():
    seller = _seller()
    form = StatementForm()
    if form.validate_on_submit():
        try:
            statement = statements.issue(seller, form.month_from.data, form.month_to.data)
        except statements.PeriodError as exc:
            form.month_to.errors = [*form.month_to.errors, PERIOD_PROBLEMS[exc.reason]()]
        else:
            flash(
                _("Your sales statement %(number)s is ready.", number=statement.number), "success"
            )
            return redirect(url_for("statements.show", statement_id=statement.id))
    status = 400 if form.errors else 200
    return render_template(
        "seller/statements.html",
        form=form,
        seller=seller,
        issued=statements.list_for(seller),
        month_label=statement_files.month_label,
        revoke_form=EmptyForm(),
    ), status


@bp.get("/<int:statement_id>")
@role_required(Role.SELLER)
def show(statement_id: int):
    statement = _own(statement_id)
    return render_template(
        "seller/statement.html",
        statement=statement,
        **_shown(statement),
        revoke_form=EmptyForm(),
        public=False,
    )


@bp.get("/<int:statement_id>.pdf")
@role_required(Role.SELLER)
def pdf(statement_id: int):
    statement = _own(statement_id)
    return Response(
        statement_files.pdf_bytes(statement, _verify_url(statement)),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{statement.number}.pdf"'},
    )


@bp.get("/<int:statement_id>.csv")
@role_required(Role.SELLER)
def csv(statement_id: int):
    statement = _own(statement_id)
    return Response(
        statement_files.csv_text(statement),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{statement.number}.csv"'},
    )


@bp.post("/<int:statement_id>/revoke")
@role_required(Role.SELLER)
def revoke(statement_id: int):
    statement = _own(statement_id)
    if EmptyForm().validate_on_submit():
        statements.revoke(statement)
        flash(_("Statement %(number)s is revoked.", number=statement.number), "success")
    return redirect(url_for("statements.index"))


@verify_bp.get("/verify/<code>")
def verify(code: str):
    statement = statements.by_code(code)
    if statement is None:
        response = make_response(render_template("seller/statement_not_found.html"), 404)
    else:
        response = make_response(
            render_template(
                "seller/statement.html",
                statement=statement,
                **_shown(statement),
                revoke_form=None,
                public=True,
            )
        )
    # A revocation must show at once: no browser or proxy may keep an old copy.
    response.headers["Cache-Control"] = "no-store"
    return response
