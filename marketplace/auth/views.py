"""Register, log in, log out, the account page and getting back into an account."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.auth import services
from marketplace.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetCodeForm,
    ResetPasswordForm,
)
from marketplace.auth.models import Role
from marketplace.core_views import safe_next
from marketplace.extensions import limiter
from marketplace.forms import EmptyForm

bp = Blueprint("auth", __name__, url_prefix="/account")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _failed(response) -> bool:
    """Only refused attempts count: a room of twenty logging in from one address must work."""
    return response.status_code != 302


def submitted_account_key(field: str, prefix: str):
    """A rate-limit key for the account named in ``field``, whatever address it comes from."""

    def key() -> str:
        return prefix + services.identifier_key(request.form.get(field))

    return key


def limited_per_address_and_account(field: str, prefix: str, *, failures_only: bool = False):
    """``LOGIN_RATE_LIMIT`` on POSTs, counted per client address and per account named in
    ``field``; with ``failures_only`` a successful attempt (a redirect) is not counted."""
    deduct = {"deduct_when": _failed} if failures_only else {}

    def decorate(view):
        view = limiter.limit(
            _login_limit, methods=["POST"], key_func=submitted_account_key(field, prefix), **deduct
        )(view)
        return limiter.limit(_login_limit, methods=["POST"], **deduct)(view)

    return decorate


def sign_up_answer(email: str, next_url: str):
    """What every sign-up form answers, account or not: go and log in, a mail is on its way."""
    flash(
        _(
            "Check your e-mail: we sent a message to %(email)s. "
            "Log in with the password you chose.",
            email=services.normalise_email(email),
        ),
        "info",
    )
    return redirect(url_for("auth.login", next=next_url, email=services.normalise_email(email)))


@bp.route("/register", methods=["GET", "POST"])
@limited_per_address_and_account("email", "sign-up:")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("catalog.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        seller = form.account_type.data == "seller"
        services.sign_up(
            name=form.name.data,
            email=form.email.data,
            password=form.password.data,
            phone=form.phone.data or "",
            roles=[Role.BUYER] + ([Role.SELLER] if seller else []),
            locale=str(request.cookies.get("lang") or "id"),
        )
        # Sellers go straight into the guided shop set-up once logged in.
        next_url = url_for("onboarding.start") if seller else url_for("catalog.home")
        return sign_up_answer(form.email.data, next_url)
    return render_template("account/register.html", form=form), (400 if form.errors else 200)


@bp.route("/login", methods=["GET", "POST"])
@limited_per_address_and_account("email", "login:", failures_only=True)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("catalog.home"))
    form = LoginForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"][:254]
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
    """Ends the session for good: a copy of its cookie, or of a remember cookie, stops working."""
    services.end_all_sessions(current_user)
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("catalog.home"))


@bp.get("/")
@login_required
def index():
    return render_template(
        "account/index.html", password_form=ChangePasswordForm(), action_form=EmptyForm()
    )


@bp.post("/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current.data, form.password.data)
        except services.WrongPassword:
            form.current.errors.append(_("That is not your current password."))
        else:
            login_user(user)  # this phone stays logged in; every other session has ended
            flash(
                _("Your password is changed. Other phones and computers are logged out."), "success"
            )
            return redirect(url_for("auth.index"))
    return (
        render_template("account/index.html", password_form=form, action_form=EmptyForm()),
        400,
    )


@bp.post("/logout-everywhere")
@login_required
def logout_everywhere():
    if not EmptyForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("auth.index"))
    services.end_all_sessions(current_user)
    logout_user()
    flash(_("You are logged out on every phone and computer."), "info")
    return redirect(url_for("auth.login"))


# --- getting back in ---------------------------------------------------------------------------


@bp.route("/forgot-password", methods=["GET", "POST"])
@limited_per_address_and_account("email", "reset-mail:")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash(
            _(
                "Check your e-mail: if %(email)s belongs to an account, we sent it a link "
                "to set a new password.",
                email=services.normalise_email(form.email.data),
            ),
            "info",
        )
        return redirect(url_for("auth.login", email=services.normalise_email(form.email.data)))
    return render_template("account/forgot_password.html", form=form), (400 if form.errors else 200)


def _dead_link():
    flash(
        _("This link has expired or was already used. Ask for a new one below."),
        "error",
    )
    return redirect(url_for("auth.forgot_password"))


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except services.InvalidReset:
        return _dead_link()
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except services.InvalidReset:
            return _dead_link()
        flash(_("Your new password is set. Please log in with it."), "success")
        return redirect(url_for("auth.login"))
    return render_template("account/reset_password.html", form=form), (400 if form.errors else 200)


@bp.route("/reset-code", methods=["GET", "POST"])
@limited_per_address_and_account("identifier", "reset-code:", failures_only=True)
def reset_with_code():
    form = ResetCodeForm()
    if form.validate_on_submit():
        try:
            services.reset_with_code(form.identifier.data, form.code.data, form.password.data)
        except services.InvalidReset:
            form.code.errors.append(_("This code does not match, has expired or was already used."))
        else:
            flash(_("Your new password is set. Please log in with it."), "success")
            return redirect(url_for("auth.login", email=form.identifier.data.strip()))
    return render_template("account/reset_code.html", form=form), (400 if form.errors else 200)
