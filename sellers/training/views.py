"""``/learn``: the training modules, quizzes and certificates.

The course pages are public (trainers open them on a projector in village workshops, often
before anyone has an account); quizzes, tasks and certificates belong to the logged-in user,
whose id always comes from the session, never from a form.
"""

from __future__ import annotations

import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import RadioField, SelectChoice
from wtforms.validators import InputRequired

from marketplace.forms import EmptyForm, ascii_int
from sellers.training import progress
from sellers.training.content_loader import Module, get_module, modules

bp = Blueprint("learn", __name__)

# Where the seller goes to do a practical task that is checked from their shop's data.
TASK_LINKS = {
    "shop_profile_complete": ("sellers.shop_profile", _l("Open my shop profile")),
    "product_with_3_photos": ("sellers.products", _l("Open my products")),
    "product_title_and_description": ("sellers.products", _l("Open my products")),
    "product_priced_with_weight": ("sellers.products", _l("Open my products")),
    "food_product_with_permit": ("sellers.products", _l("Open my products")),
}


@bp.app_template_global()
def lesson_url(slug: str, lesson_id: str | None = None, _external: bool = False) -> str:
    """Link to a module page, or to one lesson on it (``/learn/<slug>#<lesson-id>``)."""
    return url_for("learn.module", slug=slug, _anchor=lesson_id or None, _external=_external)


def _module_or_404(slug: str) -> Module:
    module = get_module(slug)
    if module is None:
        abort(404)
    return module


def _neighbours(module: Module) -> tuple[Module | None, Module | None]:
    course = modules()
    slugs = [m.slug for m in course]
    index = slugs.index(module.slug)
    previous = course[index - 1] if index > 0 else None
    following = course[index + 1] if index + 1 < len(course) else None
    return previous, following


@bp.get("/learn")
def index():
    statuses = progress.status(current_user)
    done = sum(1 for s in statuses if s.complete)
    return render_template(
        "learn/index.html",
        statuses=statuses,
        done=done,
        certificate=progress.certificate_for(current_user),
    )


@bp.get("/learn/<slug>")
def module(slug: str):
    module = _module_or_404(slug)
    previous, following = _neighbours(module)
    task_link = TASK_LINKS.get(module.task)
    return render_template(
        "learn/module.html",
        module=module,
        state=progress.module_status(current_user, slug),
        previous=previous,
        following=following,
        task_link=(url_for(task_link[0]), task_link[1]) if task_link else None,
        form=EmptyForm(),
    )


def quiz_form(module: Module) -> FlaskForm:
    """A form with one radio group per question, named ``q0``, ``q1``, …"""
    fields = {
        f"q{index}": RadioField(
            question.question,
            choices=[SelectChoice(n, choice) for n, choice in enumerate(question.choices)],
            coerce=ascii_int,
            validators=[InputRequired()],
        )
        for index, question in enumerate(module.quiz)
    }
    form_class = type("QuizForm", (FlaskForm,), fields)
    return form_class()  # bound to the posted data on POST, as every FlaskForm is


@bp.route("/learn/<slug>/quiz", methods=["GET", "POST"])
@login_required
def quiz(slug: str):
    module = _module_or_404(slug)
    form = quiz_form(module)
    result = None
    if request.method == "POST":
        if form.validate_on_submit():
            answers = {index: form[f"q{index}"].data for index in range(len(module.quiz))}
            result = progress.record_quiz(current_user, slug, answers)
        elif form.csrf_token.errors:
            flash(_("The form had expired. Please answer again."), "error")
        else:
            flash(_("Please choose an answer for every question."), "error")
    state = progress.module_status(current_user, slug)
    following = _neighbours(module)[1]
    return render_template(
        "learn/quiz.html",
        module=module,
        form=form,
        result=result,
        state=state,
        following=following,
    ), (400 if request.method == "POST" and result is None else 200)


@bp.post("/learn/<slug>/task")
@login_required
def task(slug: str):
    module = _module_or_404(slug)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
    else:
        try:
            progress.confirm_task(current_user, slug)
        except progress.TaskError:
            flash(_("This task is checked from your shop: do it there, then check again."), "error")
        else:
            flash(_("Thank you! The task is marked as done."), "success")
    return redirect(url_for("learn.module", slug=module.slug, _anchor="task"))


def qr_svg(url: str) -> Markup:
    """The QR code as inline SVG: no XML declaration and no style attributes (strict CSP)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        scale=4,
        border=2,
        light="#fff",
        omitsize=True,
        svgclass="qr-code",
        lineclass="qr-line",
        title=_("QR code to verify this certificate"),
    )
    return Markup(svg)  # noqa: S704 - generated by segno from our own URL


@bp.get("/learn/certificate")
@login_required
def certificate():
    try:
        issued = progress.issue_certificate(current_user)
    except progress.CertificateNotReady:
        statuses = progress.status(current_user)
        return render_template(
            "learn/certificate.html",
            certificate=None,
            missing=[s for s in statuses if not s.complete],
            done=sum(1 for s in statuses if s.complete),
            total=len(statuses),
        )
    verify_url = url_for("learn.verify", code=issued.code, _external=True)
    return render_template(
        "learn/certificate.html",
        certificate=issued,
        verify_url=verify_url,
        qr=qr_svg(verify_url),
    )


@bp.get("/certificates/<code>")
def verify(code: str):
    issued = progress.certificate_by_code(code)
    if issued is None:
        abort(404)
    return render_template("learn/verify.html", certificate=issued)
