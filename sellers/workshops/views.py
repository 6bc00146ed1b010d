"""Workshop pages: the trainer's (``/trainer/workshops``) and the participant's (``/join``).

Trainer pages answer 403 to anyone without the trainer role and 404 for another trainer's
workshop (``access``); admins may open every workshop. The join pages are built for a room of
phones behind one village connection: only wrong codes count towards the per-address limit,
so twenty people joining at once are never refused.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from marketplace import regions
from marketplace.auth import services as auth_services
from marketplace.auth.models import User, as_utc
from marketplace.auth.views import limited_per_address_and_account
from marketplace.extensions import limiter
from marketplace.forms import EmptyForm
from marketplace.i18n import TIME_ZONES, zone_label
from marketplace.states import InvalidTransition
from sellers.share import qr_svg
from sellers.training.content_loader import get_module, modules
from sellers.workshops import enrolment, followup, services, standing
from sellers.workshops.access import (
    can_run,
    normalise_join_code,
    trainer_required,
    trainer_workshop_or_404,
    workshop_by_code,
)
from sellers.workshops.forms import (
    CardSignInForm,
    FirstPasswordForm,
    ImportForm,
    JoinCodeForm,
    JoinForm,
    JoinLoginForm,
    NoteForm,
    WorkshopForm,
    combine,
)
from sellers.workshops.models import Workshop

bp = Blueprint("workshops", __name__)

NO_STORE = {"Cache-Control": "no-store"}


def _expired_form(endpoint: str, **values):
    flash(_("The form had expired. Please try again."), "error")
    return redirect(url_for(endpoint, **values))


# --- the trainer's workshops ------------------------------------------------------------------


@bp.get("/trainer/workshops")
@trainer_required
def index():
    return render_template(
        "trainer/workshops.html", workshops=services.trainer_workshops(current_user)
    )


def _zone(village_code: str) -> ZoneInfo:
    """The workshop happens in the village: its date and time are the village's local time."""
    return TIME_ZONES[zone_label(village_code)]


def _form_data(form: WorkshopForm) -> services.WorkshopData:
    local = combine(form.day.data, form.start.data).replace(tzinfo=_zone(form.village_code.data))
    return services.WorkshopData(
        title=form.title.data,
        village_code=form.village_code.data,
        starts_at=local,
        modules=list(form.modules.data or []),
        capacity=form.capacity.data,
    )


def _workshop_form(workshop: Workshop | None) -> WorkshopForm:
    form = WorkshopForm()
    if request.method == "GET" and workshop is not None:
        codes = regions.chain(workshop.village_code)
        for name, value in codes.items():
            getattr(form, name).data = value
        form.title.data = workshop.title
        local = _as_local(workshop)
        form.day.data, form.start.data = local.date(), local.time().replace(second=0)
        form.modules.data = list(workshop.modules or [])
        form.capacity.data = workshop.capacity
    form.fill_region_choices()
    form.fill_module_choices(modules())
    return form


def _as_local(workshop: Workshop) -> datetime:
    return as_utc(workshop.starts_at).astimezone(_zone(workshop.village_code))


def _save(form: WorkshopForm, workshop: Workshop | None):
    refreshing = "refresh_regions" in request.form
    if not refreshing and form.validate_on_submit():
        data = _form_data(form)
        if workshop is None:
            workshop = services.create_workshop(current_user, data)
            flash(
                _("The workshop is ready. Its join code: %(code)s", code=workshop.join_code),
                "success",
            )
        else:
            services.update_workshop(workshop, data)
            flash(_("The workshop is saved."), "success")
        return redirect(url_for("workshops.detail", workshop_id=workshop.id))
    status = 400 if form.errors else 200
    return render_template("trainer/workshop_form.html", form=form, workshop=workshop), status


@bp.route("/trainer/workshops/new", methods=["GET", "POST"])
@trainer_required
def create():
    return _save(_workshop_form(None), None)


@bp.route("/trainer/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
@trainer_required
def edit(workshop_id: int):
    workshop = trainer_workshop_or_404(workshop_id)
    if not workshop.is_open:
        flash(_("A closed workshop cannot be changed."), "error")
        return redirect(url_for("workshops.detail", workshop_id=workshop.id))
    return _save(_workshop_form(workshop), workshop)


@bp.post("/trainer/workshops/<int:workshop_id>/close")
@trainer_required
def close(workshop_id: int):
    workshop = trainer_workshop_or_404(workshop_id)
    if not EmptyForm().validate_on_submit():
        return _expired_form("workshops.detail", workshop_id=workshop.id)
    try:
        services.close_workshop(workshop, current_user)
    except InvalidTransition:
        flash(_("This workshop is already closed."), "info")
    else:
        flash(_("The workshop is closed. Its code no longer lets anyone join."), "success")
    return redirect(url_for("workshops.detail", workshop_id=workshop.id))


def join_url(workshop: Workshop) -> str:
    return url_for("workshops.join", code=workshop.join_code, _external=True)


def _module_titles(workshop: Workshop) -> list[tuple[str, str]]:
    found = []
    for slug in workshop.modules or []:
        module = get_module(slug)
        found.append((slug, module.title if module else slug))
    return found


@bp.get("/trainer/workshops/<int:workshop_id>")
@trainer_required
def detail(workshop_id: int):
    return _detail_page(trainer_workshop_or_404(workshop_id), ImportForm())


def _detail_page(workshop: Workshop, import_form: ImportForm) -> str:
    """The workshop's page; ``import_form`` carries a refused upload's errors."""
    return render_template(
        "trainer/workshop.html",
        workshop=workshop,
        members=services.members(workshop),
        join_url=join_url(workshop),
        module_titles=_module_titles(workshop),
        local_start=_as_local(workshop),
        action_form=EmptyForm(),
        import_form=import_form,
        needs_password=enrolment.needs_password,
    )


@bp.get("/trainer/workshops/<int:workshop_id>/projector")
@trainer_required
def projector(workshop_id: int):
    workshop = trainer_workshop_or_404(workshop_id)
    url = join_url(workshop)
    return render_template(
        "trainer/projector.html",
        workshop=workshop,
        join_url=url,
        qr=qr_svg(url, _("QR code for %(url)s", url=url)),
    )


# --- bulk enrolment and login cards -------------------------------------------------------------

IMPORT_REFUSALS = {
    "empty": lambda v: _("The file has no rows with a name and a number."),
    "encoding": lambda v: _(
        "The file cannot be read as text. In your spreadsheet choose “Save as”, "
        "then “CSV UTF-8”, and upload that file."
    ),
    "too_big": lambda v: _("The file is too large (at most %(kb)s KB).", kb=v.get("kb")),
    "too_many": lambda v: _(
        "The file has %(rows)s rows; at most %(limit)s can be imported at once. "
        "Split the list and upload each part.",
        rows=v.get("rows"),
        limit=v.get("limit"),
    ),
}


def row_problem(result: enrolment.RowResult) -> str:
    messages = {
        "empty_name": _("The name is empty."),
        "bad_phone": _("The mobile number cannot be read."),
        "bad_email": _("The e-mail address is not valid."),
        "duplicate_in_file": _("Same person as line %(line)s.", line=result.detail),
        "account_exists": _(
            "This number or e-mail already has an account: its owner joins with the code "
            "and logs in."
        ),
        "full": _("The workshop is full."),
    }
    return messages.get(result.problem, result.problem)


@bp.post("/trainer/workshops/<int:workshop_id>/import")
@trainer_required
def import_members(workshop_id: int):
    workshop = trainer_workshop_or_404(workshop_id)
    form = ImportForm()
    if not workshop.is_open:
        flash(_("A closed workshop cannot be changed."), "error")
        return redirect(url_for("workshops.detail", workshop_id=workshop.id))
    if form.validate_on_submit():
        data = form.file.data.read(enrolment.MAX_IMPORT_BYTES + 1)
        try:
            report = enrolment.import_members(workshop, data, current_user)
        except enrolment.ImportRefused as refused:
            form.file.errors.append(IMPORT_REFUSALS[refused.reason](refused.values))
        else:
            return render_template(
                "trainer/import_report.html",
                workshop=workshop,
                report=report,
                row_problem=row_problem,
                action_form=EmptyForm(),
            )
    return _detail_page(workshop, form), 400


@bp.post("/trainer/workshops/<int:workshop_id>/cards")
@trainer_required
def cards(workshop_id: int):
    """Print page of login cards; each print issues new codes (the old ones stop working)."""
    workshop = trainer_workshop_or_404(workshop_id)
    if not EmptyForm().validate_on_submit():
        return _expired_form("workshops.detail", workshop_id=workshop.id)
    wanted = {int(v) for v in request.form.getlist("user_id") if v.isascii() and v.isdigit()}
    users = [
        m.user
        for m in services.members(workshop)
        if (m.user_id in wanted) or (not wanted and enrolment.needs_password(m.user))
    ]
    issued = enrolment.issue_cards(workshop, users, current_user)
    cards = [
        {
            "card": card,
            "url": (
                url := url_for(
                    "workshops.card_sign_in",
                    phone=card.user.phone,
                    code=card.code,
                    _external=True,
                )
            ),
            "qr": qr_svg(url, _("QR code for %(url)s", url=url)),
        }
        for card in issued
    ]
    pages = [cards[i : i + 8] for i in range(0, len(cards), 8)]
    html = render_template(
        "trainer/cards.html",
        workshop=workshop,
        pages=pages,
        lifetime_days=enrolment.SIGN_IN_CODE_LIFETIME.days,
    )
    return html, 200, NO_STORE


# --- trainers for their participants: reset codes, notes -------------------------------------


def _member_or_404(workshop: Workshop, user_id: int) -> User:
    member = services.membership(workshop, user_id)
    if member is None:
        abort(404)
    return member.user


@bp.post("/trainer/workshops/<int:workshop_id>/members/<int:user_id>/reset-code")
@trainer_required
def reset_code(workshop_id: int, user_id: int):
    workshop = trainer_workshop_or_404(workshop_id)
    participant = _member_or_404(workshop, user_id)
    if not EmptyForm().validate_on_submit():
        return _expired_form("workshops.detail", workshop_id=workshop.id)
    code = services.issue_reset_code_by_trainer(workshop, participant, current_user)
    html = render_template(
        "trainer/reset_code.html", workshop=workshop, user=participant, code=code
    )
    return html, 200, NO_STORE


@bp.post("/trainer/workshops/<int:workshop_id>/members/<int:user_id>/notes")
@trainer_required
def add_note(workshop_id: int, user_id: int):
    workshop = trainer_workshop_or_404(workshop_id)
    participant = _member_or_404(workshop, user_id)
    form = NoteForm()
    if form.validate_on_submit():
        followup.add_note(workshop, participant, current_user, form.body.data)
        flash(_("Note saved."), "success")
    else:
        flash(_("Write the note first (at most 2000 characters)."), "error")
    return redirect(url_for("workshops.report", workshop_id=workshop.id) + f"#p-{participant.id}")


# --- follow-up report ---------------------------------------------------------------------------


@bp.get("/trainer/workshops/<int:workshop_id>/report")
@trainer_required
def report(workshop_id: int):
    workshop = trainer_workshop_or_404(workshop_id)
    rows = standing.report(workshop)
    only_stalled = request.args.get("stalled") == "1"
    shown = [r for r in rows if r.stalled] if only_stalled else rows
    return render_template(
        "trainer/report.html",
        workshop=workshop,
        rows=shown,
        total=len(rows),
        stalled_count=sum(1 for r in rows if r.stalled),
        only_stalled=only_stalled,
        notes=followup.notes_by_participant(workshop),
        note_form=NoteForm(),
        next_step=standing.next_step,
        next_step_label=followup.next_step_label,
        whatsapp_message=lambda row: followup.whatsapp_message(row, workshop),
        module_count=len(modules()),
    )


@bp.get("/trainer/workshops/<int:workshop_id>/report.csv")
@trainer_required
def report_csv(workshop_id: int):
    workshop = trainer_workshop_or_404(workshop_id)
    body = followup.report_csv(workshop, standing.report(workshop))
    filename = f"workshop-{workshop.id}-{workshop.join_code}.csv"
    return (
        body,
        200,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            **NO_STORE,
        },
    )


# --- joining ----------------------------------------------------------------------------------


def _join_limit() -> str:
    return current_app.config["JOIN_CODE_RATE_LIMIT"]


def _wrong_code(response) -> bool:
    """Only a code that names no workshop counts: a room joining at once is never refused."""
    return response.status_code == 404


def _login_failed(response) -> bool:
    return bool(g.get("join_login_failed"))


def _join_login_key() -> str:
    return "join-login:" + auth_services.identifier_key(request.form.get("identifier"))


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(_join_limit, deduct_when=_wrong_code)
def join_form():
    form = JoinCodeForm(meta={"csrf": False})  # a GET-like step: it only leads to a page
    if request.values.get("code") is not None:
        form.process(request.values)
        if form.validate():
            code = normalise_join_code(form.code.data)
            if code and workshop_by_code(code) is not None:
                return redirect(url_for("workshops.join", code=code))
            form.code.errors.append(_("No workshop has this code. Check it on the screen."))
            return render_template("join/code.html", form=form), 404
    return render_template("join/code.html", form=form), (400 if form.errors else 200)


def _refusal(workshop: Workshop | None, exc: Exception | None = None):
    if workshop is None:
        return render_template(
            "join/code.html", form=JoinCodeForm(meta={"csrf": False}), wrong=True
        ), 404
    if not workshop.is_open or isinstance(exc, services.WorkshopClosed):
        return render_template("join/closed.html", workshop=workshop), 410
    return render_template("join/full.html", workshop=workshop), 409


def _enrolled(workshop: Workshop):
    flash(_("You have joined “%(title)s”.", title=workshop.title), "success")
    return redirect(url_for("workshops.join", code=workshop.join_code))


@bp.route("/join/<code>", methods=["GET", "POST"])
@limiter.limit(_join_limit, deduct_when=_wrong_code)
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    methods=["POST"],
    key_func=_join_login_key,
    deduct_when=_login_failed,
)
def join(code: str):
    workshop = workshop_by_code(code)
    if workshop is None:
        return _refusal(None)
    if workshop.join_code != code:  # typed in lower case or with a dash: one address per code
        return redirect(url_for("workshops.join", code=workshop.join_code), 301)
    user = current_user if current_user.is_authenticated else None
    if user is not None and (services.membership(workshop, user.id) or can_run(workshop, user)):
        return render_template(
            "join/member.html",
            workshop=workshop,
            module_titles=_module_titles(workshop),
            runs=can_run(workshop, user),
            local_start=_as_local(workshop),
        )
    if not workshop.is_open:
        return _refusal(workshop)
    new_form = JoinForm()
    login_form = JoinLoginForm()
    action_form = EmptyForm()
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "")
        try:
            if action == "enrol" and user is not None:
                if action_form.validate_on_submit():
                    services.enrol(workshop, user)
                    return _enrolled(workshop)
                flash(_("The form had expired. Please try again."), "error")
            elif action == "login" and user is None:
                if login_form.validate_on_submit():
                    found = auth_services.authenticate(
                        login_form.identifier.data, login_form.secret.data
                    )
                    if found is None:
                        g.join_login_failed = True
                        login_form.secret.errors.append(_("Wrong email or password."))
                    else:
                        services.can_join(workshop)
                        login_user(found)
                        services.enrol(workshop, found)
                        return _enrolled(workshop)
            elif action == "new" and user is None:
                if new_form.validate_on_submit():
                    try:
                        created = services.join_with_new_account(
                            workshop,
                            name=new_form.name.data,
                            phone=new_form.phone.data,
                            password=new_form.password.data,
                            locale=new_form.language.data,
                        )
                    except services.PhoneTaken:
                        new_form.phone.errors.append(
                            _(
                                "This number already has an account. Log in below with it "
                                "and your password."
                            )
                        )
                        login_form.identifier.data = new_form.phone.data
                    else:
                        login_user(created)
                        session["locale"] = created.locale
                        return _enrolled(workshop)
            else:
                abort(400)
        except (services.WorkshopClosed, services.WorkshopFull) as refused:
            return _refusal(workshop, refused)
        status = 400
    return (
        render_template(
            "join/join.html",
            workshop=workshop,
            join_form=new_form,
            login_form=login_form,
            action_form=action_form,
            local_start=_as_local(workshop),
            full=services.member_count(workshop) >= workshop.capacity,
        ),
        status,
    )


# --- login cards: signing in with a one-time code ----------------------------------------------


@bp.route("/join/card", methods=["GET", "POST"])
@limited_per_address_and_account("phone", "card:", failures_only=True)
def card_sign_in():
    form = CardSignInForm()
    if request.method == "GET":
        form.phone.data = (request.args.get("phone") or "")[:40]
        form.code.data = (request.args.get("code") or "")[:20]
    elif form.validate_on_submit():
        try:
            user = enrolment.sign_in_with_code(form.phone.data, form.code.data)
        except enrolment.InvalidSignInCode:
            form.code.errors.append(_("This code does not match, has expired or was already used."))
        else:
            login_user(user)
            return redirect(url_for("workshops.welcome"))
    html = render_template("join/card.html", form=form)
    return html, (400 if form.errors else 200), NO_STORE


@bp.route("/join/welcome", methods=["GET", "POST"])
@login_required
def welcome():
    """After a card: choose a password now, or carry on and choose one later."""
    form = FirstPasswordForm()
    if form.validate_on_submit():
        enrolment.set_first_password(current_user, form.password.data)
        flash(_("Your password is set. Log in with your mobile number and it."), "success")
        return redirect(url_for("workshops.welcome"))
    return render_template(
        "join/welcome.html",
        form=form,
        workshops=services.workshops_of(current_user),
        needs_password=enrolment.needs_password(current_user),
    ), (400 if form.errors else 200)
