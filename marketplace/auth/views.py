"""Register, log in, log out, and the buyer's account pages."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.auth import services
from marketplace.auth.forms import LoginForm, RegisterForm
from marketplace.auth.models import Role
from marketplace.core_views import safe_next
from marketplace.extensions import limiter

bp = Blueprint("auth", __name__, url_prefix="/account")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        roles = [Role.BUYER] + ([Role.SELLER] if form.account_type.data == "seller" else [])
        try:
            user = services.register_user(
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                phone=form.phone.data or "",
                roles=roles,
                locale=str(request.cookies.get("lang") or "id"),
            )
        except services.EmailTaken:
            form.email.errors.append(_("An account with this email already exists. Log in?"))
        else:
            login_user(user)
            flash(_("Welcome to Migrant Mart, %(name)s!", name=user.name), "success")
            if user.has_role(Role.SELLER):  # straight into the guided shop set-up
                return redirect(url_for("onboarding.start"))
            return redirect(url_for("core.home"))
    return render_template("account/register.html", form=form), (400 if form.errors else 200)


def _failed(response) -> bool:
    """Only refused attempts count: a room of twenty logging in from one address must work."""
    return response.status_code != 302


def _submitted_account() -> str:
    """The account being tried, so guessing one person's password is limited from any address."""
    return "login-account:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed, key_func=_submitted_account)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong email or password."))
        else:
            login_user(user, remember=form.remember.data)
            flash(_("You are logged in."), "success")
            return redirect(safe_next(request.args.get("next")))
    return render_template("account/login.html", form=form), (400 if form.errors else 200)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("core.home"))


@bp.get("/orders")
@login_required
def orders():
    from orders.access import orders_for_buyer

    return render_template("account/orders.html", orders=orders_for_buyer(current_user))
