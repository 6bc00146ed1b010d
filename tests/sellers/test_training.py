"""Training: content loading, grading, practical tasks on real rows, certificates, /learn pages.

Most tests use the small fixture course in ``training_content/`` (alpha: self-confirm task and
five questions, English too; beta: shop-profile task, Indonesian only; gamma: food-permit task),
so they do not depend on the wording of the real course. One test checks the real course.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from catalog.models import ProductStatus
from marketplace.extensions import db
from sellers.training import content_loader, progress
from sellers.training.content_loader import ContentError, get_module, load_all, modules
from sellers.training.models import Certificate, ModuleProgress
from tests.conftest import csrf_from, get_csrf, login
from tests.factories import add_photos, make_category, make_product, make_seller, make_user

FIXTURES = Path(__file__).parent / "training_content"
REAL_SLUGS = [
    "buka-toko",
    "foto-produk",
    "judul-deskripsi",
    "harga",
    "kemas-kirim",
    "promosi",
    "layanan-ulasan",
    "izin-kepercayaan",
    "pembukuan-kur",
    "siap-kur",
]
ALPHA_RIGHT = {0: 0, 1: 1, 2: 2, 3: 0, 4: 1}
BETA_RIGHT = {0: 2, 1: 2, 2: 2}
GAMMA_RIGHT = {0: 1, 1: 1, 2: 1}
LONG_STORY = "Saya bekerja tujuh tahun di Malaysia, lalu pulang dan membuat gula semut di desa."
LONG_DESCRIPTION = "Gula semut dari nira aren segar, dimasak perlahan di atas tungku kayu. " * 3


@pytest.fixture()
def course(app_ctx, monkeypatch):
    """The fixture course, with alpha and beta required (as three modules are in production)."""
    monkeypatch.setitem(app_ctx.config, "TRAINING_CONTENT_DIR", str(FIXTURES))
    monkeypatch.setitem(app_ctx.config, "REQUIRED_TRAINING_MODULES", ["alpha", "beta"])
    return app_ctx


def _row(user, slug):
    return db.session.scalar(
        select(ModuleProgress).where(
            ModuleProgress.user_id == user.id, ModuleProgress.module_slug == slug
        )
    )


def _food_category():
    root = make_category(slug="olahan-pangan")
    return make_category(slug="gula-pemanis", parent=root)


def _complete_everything(user):
    """Pass every fixture quiz and do every task for real (profile, no food, confirmation)."""
    make_seller(user=user, story=LONG_STORY)
    progress.record_quiz(user, "alpha", ALPHA_RIGHT)
    progress.record_quiz(user, "beta", BETA_RIGHT)
    progress.record_quiz(user, "gamma", GAMMA_RIGHT)
    progress.confirm_task(user, "alpha")
    progress.confirm_task(user, "gamma")


# --- loader -------------------------------------------------------------------------------------


def test_modules_load_in_order_with_lessons_and_quiz(course):
    course_modules = modules("id")
    assert [m.slug for m in course_modules] == ["alpha", "beta", "gamma"]
    alpha = course_modules[0]
    assert alpha.task == "self_confirm" and alpha.minutes == 10
    assert [lesson.title for lesson in alpha.lessons] == [
        "Pelajaran Pertama",
        "Cahaya & Sudut Foto",
        "Pelajaran Pertama",
    ]
    # Anchors are slugified headings, unique on the page; a "## " inside a code block is text.
    assert [lesson.id for lesson in alpha.lessons] == [
        "pelajaran-pertama",
        "cahaya-sudut-foto",
        "pelajaran-pertama-2",
    ]
    assert "## bukan judul pelajaran" in alpha.lessons[1].html
    assert "<strong>alfa</strong>" in alpha.intro_html
    assert len(alpha.quiz) == 5 and alpha.quiz[1].answer == 1
    assert alpha.quiz[0].choices == ("A", "B", "C")


def test_lesson_html_keeps_diagrams_and_drops_scripts_and_styles(course):
    html = "".join(lesson.html for lesson in get_module("alpha", "id").lessons)
    for kept in (
        '<svg viewBox="0 0 200 100" role="img" aria-label="Diagram alfa">',
        '<rect x="10" y="10" width="80" height="40" rx="4" fill="#0b6b3a">',
        '<circle cx="150"',
        'stroke-width="2"',
        '<line x1="90" y1="30" x2="130"',
        'text-anchor="middle"',
        '<tspan font-weight="bold">',
        "<title>Diagram alfa",
        '<figure class="diagram">',
        "<figcaption>",
        '<a href="https://example.id/"',
        '<th class="align-right">',
    ):
        assert kept in html, kept
    for dropped in ("<script", "alert(", "style=", "onclick", "onload"):
        assert dropped not in html, dropped


def test_language_versions_and_fallback_to_indonesian(course):
    assert get_module("alpha", "en").title == "Module Alpha"
    assert get_module("alpha", "id").title == "Modul Alfa"
    beta = get_module("beta", "en")  # no beta.en.md: Indonesian texts, marked as such
    assert beta.title == "Modul Beta" and beta.lang == "id"
    assert get_module("alpha", "en").lang == "en"
    assert get_module("nope", "id") is None


def test_content_errors_name_the_file(tmp_path):
    good = (FIXTURES / "beta.id.md").read_text(encoding="utf-8")
    (tmp_path / "beta.id.md").write_text(good.replace("answer = 2", "answer = 3", 1), "utf-8")
    with pytest.raises(ContentError, match="beta.id.md.*answer"):
        load_all(tmp_path)
    (tmp_path / "beta.id.md").write_text(good.replace('slug = "beta"', 'slug = "x"'), "utf-8")
    with pytest.raises(ContentError, match="does not match"):
        load_all(tmp_path)
    (tmp_path / "beta.id.md").write_text("## no front matter\n", "utf-8")
    with pytest.raises(ContentError, match="front matter"):
        load_all(tmp_path)


def test_edited_file_is_reloaded(tmp_path):
    source = (FIXTURES / "beta.id.md").read_text(encoding="utf-8")
    path = tmp_path / "beta.id.md"
    path.write_text(source, "utf-8")
    assert load_all(tmp_path)["beta"].title == "Modul Beta"
    path.write_text(source.replace('title = "Modul Beta"', 'title = "Judul Baru"'), "utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert load_all(tmp_path)["beta"].title == "Judul Baru"


def test_real_course_content_is_complete_in_both_languages(app_ctx):
    """The shipped course: 10 modules, Indonesian and English, consistent with each other."""
    directory = content_loader.DEFAULT_CONTENT_DIR
    for slug in REAL_SLUGS:
        for lang in ("id", "en"):
            assert (directory / f"{slug}.{lang}.md").is_file(), f"{slug}.{lang}.md missing"
    loaded = load_all(directory)
    assert list(loaded) == REAL_SLUGS  # in course order
    for slug, module in loaded.items():
        assert set(module.texts) == {"id", "en"}, slug
        assert module.task in progress.TASK_CHECKS, (slug, module.task)
        indonesian, english = module.texts["id"], module.texts["en"]
        for text in (indonesian, english):
            assert 3 <= len(text.lessons) <= 5, (slug, text.lang, len(text.lessons))
            assert len(text.quiz) >= 3, (slug, text.lang)
            assert all(len(q.choices) == 3 and q.explain for q in text.quiz), (slug, text.lang)
            assert text.title and text.summary and text.task_title and text.task_help
            assert "<script" not in "".join(lesson.html for lesson in text.lessons)
        assert [q.answer for q in indonesian.quiz] == [q.answer for q in english.quiz], slug
        for lang in ("id", "en"):
            meta, _ = content_loader.split_front_matter(
                (directory / f"{slug}.{lang}.md").read_text(encoding="utf-8")
            )
            assert (meta["slug"], meta["order"], meta["task"]) == (
                slug,
                module.order,
                module.task,
            ), (slug, lang)


# --- grading ------------------------------------------------------------------------------------


def test_pass_rule_forgives_one_slip_only_at_eighty_percent():
    assert progress.passes(5, 5) and progress.passes(4, 5)
    assert not progress.passes(3, 5)
    assert progress.passes(3, 3) and not progress.passes(2, 3)
    assert not progress.passes(3, 4)  # one wrong of four is 75 %
    assert progress.passes(9, 10) and not progress.passes(8, 10)


def test_grade_marks_each_question_with_its_explanation(course):
    alpha = get_module("alpha", "en")
    answers = {**ALPHA_RIGHT, 1: 0}  # second wrong
    del answers[4]  # fifth unanswered
    answers[99] = 1  # unknown question: ignored
    result = progress.grade(alpha, answers)
    assert (result.score, result.total, result.passed) == (3, 5, False)
    assert [q.number for q in result.wrong] == [2, 5]
    assert result.wrong[0].explain == "Explanation two." and result.wrong[0].chosen == 0
    assert result.wrong[1].chosen is None
    assert progress.grade(alpha, {**ALPHA_RIGHT, 0: 2}).passed


def test_retry_keeps_best_score_and_a_pass_is_not_taken_back(course):
    user = make_user()
    first = progress.record_quiz(user, "alpha", {0: 0})
    assert (first.score, first.passed, first.best_score) == (1, False, 1)
    second = progress.record_quiz(user, "alpha", ALPHA_RIGHT)
    assert second.passed and second.best_score == 5
    third = progress.record_quiz(user, "alpha", {})
    assert third.score == 0 and not third.passed and third.best_score == 5
    row = _row(user, "alpha")
    assert (row.attempts, row.best_quiz_score) == (3, 5)
    assert row.quiz_passed_at is not None


def test_unknown_module_quiz_is_not_found(course):
    from marketplace.errors import NotFound

    with pytest.raises(NotFound):
        progress.record_quiz(make_user(), "nope", {})


# --- practical tasks against real rows -----------------------------------------------------


def test_shop_profile_complete(course):
    check = progress.TASK_CHECKS["shop_profile_complete"]
    assert not check(make_user())  # no shop at all
    seller = make_seller(story="Terlalu pendek.")
    assert not check(seller.owner)
    seller.story = LONG_STORY
    db.session.commit()
    assert check(seller.owner)
    seller.whatsapp = ""
    db.session.commit()
    assert not check(seller.owner)
    seller.whatsapp, seller.village_code = "+6281234567890", ""
    db.session.commit()
    assert not check(seller.owner)


def test_product_with_3_photos_counts_drafts_and_only_own_products(course):
    check = progress.TASK_CHECKS["product_with_3_photos"]
    seller = make_seller()
    product = make_product(seller=seller, status=ProductStatus.DRAFT)
    add_photos(product, 2)
    assert not check(seller.owner)
    other = make_product()
    add_photos(other, 3)
    assert not check(seller.owner)  # someone else's photos do not count
    add_photos(make_product(seller=seller, status=ProductStatus.DRAFT), 3)
    assert check(seller.owner)


def test_product_title_and_description(course):
    check = progress.TASK_CHECKS["product_title_and_description"]
    seller = make_seller()
    make_product(seller=seller, title="Gula", description=LONG_DESCRIPTION)  # title too short
    make_product(seller=seller, title="G" * 81, description=LONG_DESCRIPTION)  # too long
    make_product(seller=seller, title="Gula Semut Aren Lombok 250 g", description="Manis.")
    assert not check(seller.owner)
    make_product(
        seller=seller,
        title="Gula Semut Aren Lombok 250 g",
        description=LONG_DESCRIPTION,
        status=ProductStatus.DRAFT,
    )
    assert check(seller.owner)


def test_product_priced_with_weight(course):
    check = progress.TASK_CHECKS["product_priced_with_weight"]
    seller = make_seller()
    make_product(seller=seller, price=0, weight_grams=250, status=ProductStatus.DRAFT)
    make_product(seller=seller, price=25000, weight_grams=0, status=ProductStatus.DRAFT)
    assert not check(seller.owner)
    make_product(seller=seller, price=25000, weight_grams=250, status=ProductStatus.DRAFT)
    assert check(seller.owner)


def test_food_task_needs_a_permit_number_on_a_food_product(course):
    check = progress.TASK_CHECKS["food_product_with_permit"]
    seller = make_seller()
    food = _food_category()
    craft = make_category(slug="kerajinan")
    make_product(seller=seller, category=craft, pirt_number="2065203010123-25")
    make_product(seller=seller, category=food)
    assert not check(seller.owner)  # sells food, no permit shown
    with pytest.raises(progress.TaskError):  # and cannot wave the task away
        progress.confirm_task(seller.owner, "gamma")
    make_product(seller=seller, category=food, halal_number="ID52110000123450125")
    assert check(seller.owner)
    root_product_seller = make_seller()
    make_product(seller=root_product_seller, category=food.parent, bpom_number="MD 1234")
    assert check(root_product_seller.owner)


def test_food_task_for_a_shop_without_food_is_a_confirmation(course):
    seller = make_seller()
    make_product(seller=seller, category=make_category(slug="kerajinan"))
    food = _food_category()
    assert not progress.TASK_CHECKS["food_product_with_permit"](seller.owner)
    state = progress.module_status(seller.owner, "gamma")
    assert state.can_confirm and not state.task_done
    progress.confirm_task(seller.owner, "gamma")
    assert progress.module_status(seller.owner, "gamma").task_done
    # Starting to sell food without a permit makes the task apply again.
    make_product(seller=seller, category=food)
    state = progress.module_status(seller.owner, "gamma")
    assert not state.task_done and not state.can_confirm


def test_self_confirm_and_data_tasks_cannot_be_confirmed_by_button(course):
    user = make_seller().owner
    assert not progress.TASK_CHECKS["self_confirm"](user)
    progress.confirm_task(user, "alpha")
    assert progress.TASK_CHECKS["self_confirm"](user, _row(user, "alpha"))
    with pytest.raises(progress.TaskError):
        progress.confirm_task(user, "beta")
    assert _row(user, "beta") is None


# --- completion, required modules, demo helper ---------------------------------------------


def test_module_completes_when_quiz_and_task_are_both_done_and_stays_complete(course):
    seller = make_seller(story=LONG_STORY)
    user = seller.owner
    progress.record_quiz(user, "beta", BETA_RIGHT)
    assert _row(user, "beta").completed_at is not None  # profile already complete
    progress.record_quiz(user, "alpha", ALPHA_RIGHT)
    assert not progress.module_status(user, "alpha").complete  # task not confirmed yet
    progress.confirm_task(user, "alpha")
    assert _row(user, "alpha").completed_at is not None
    seller.story = ""
    db.session.commit()
    statuses = {s.module.slug: s for s in progress.status(user)}
    assert statuses["beta"].complete and not statuses["beta"].task_done
    assert progress.completed_slugs(user) == {"alpha", "beta"}


def test_completion_is_persisted_when_the_task_is_done_after_the_quiz(course):
    seller = make_seller()
    progress.record_quiz(seller.owner, "beta", BETA_RIGHT)
    assert _row(seller.owner, "beta").completed_at is None
    seller.story = LONG_STORY
    db.session.commit()
    progress.status(seller.owner)  # reading progress notices the finished task
    db.session.expire_all()
    assert _row(seller.owner, "beta").completed_at is not None


def test_missing_required_follows_the_config(course, monkeypatch):
    user = make_seller().owner
    assert [m.slug for m in progress.missing_required(user)] == ["alpha", "beta"]
    progress.mark_completed_for_demo(user, ["alpha"])
    assert [m.slug for m in progress.missing_required(user)] == ["beta"]
    monkeypatch.setitem(course.config, "REQUIRED_TRAINING_MODULES", ["alpha", "no-such-module"])
    assert progress.missing_required(user) == []
    monkeypatch.setitem(course.config, "REQUIRED_TRAINING_MODULES", [])
    assert progress.missing_required(make_user()) == []


def test_mark_completed_for_demo_records_a_passed_quiz_and_a_confirmation(course):
    user = make_user()
    progress.mark_completed_for_demo(user, ["alpha", "gamma"])
    progress.mark_completed_for_demo(user, ["alpha"])  # twice is harmless
    row = _row(user, "alpha")
    assert row.best_quiz_score == 5 and row.attempts == 1
    assert row.quiz_passed_at and row.task_confirmed_at and row.completed_at
    assert progress.completed_slugs(user) == {"alpha", "gamma"}
    from marketplace.errors import NotFound

    with pytest.raises(NotFound):
        progress.mark_completed_for_demo(user, ["typo"])


# --- certificates -------------------------------------------------------------------------------


def test_certificate_only_when_every_module_is_complete_and_idempotent(course):
    user = make_user(name="Siti Aminah")
    progress.mark_completed_for_demo(user, ["alpha", "beta"])
    with pytest.raises(progress.CertificateNotReady) as error:
        progress.issue_certificate(user)
    assert [m.slug for m in error.value.missing] == ["gamma"]
    assert db.session.scalar(select(func.count(Certificate.id))) == 0
    progress.mark_completed_for_demo(user, ["gamma"])
    first = progress.issue_certificate(user)
    second = progress.issue_certificate(user)
    assert first.id == second.id and first.code == second.code
    assert len(first.code) >= 10 and first.code.isalnum()
    assert first.name == "Siti Aminah"
    assert first.module_titles("en") == ["Module Alpha", "Modul Beta", "Module Gamma"]
    assert first.module_titles("id")[0] == "Modul Alfa"
    assert progress.certificate_by_code(first.code.lower()).id == first.id
    assert progress.certificate_by_code("NOPE") is None
    assert progress.certificate_by_code("") is None


def test_certificate_after_doing_the_course_for_real(course):
    user = make_user(name="Wayan")
    _complete_everything(user)
    assert progress.issue_certificate(user).name == "Wayan"


# --- pages ----------------------------------------------------------------------------------


def _seller_login(client, **fields):
    seller = make_seller(**fields)
    login(client, seller.owner.email)
    return seller


def test_learn_index_works_logged_out(course, client):
    response = client.get("/learn")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Modul Alfa" in html and "Modul Beta" in html and "Modul Gamma" in html
    assert 'href="/learn/alpha"' in html
    assert "/account/login" in html  # an invitation, not a wall
    assert "learn.css" in html


def test_learn_index_shows_progress_when_logged_in(course, client):
    seller = _seller_login(client)
    progress.mark_completed_for_demo(seller.owner, ["alpha"])
    html = client.get("/learn?lang=en").get_data(as_text=True)
    assert "1 of 3 modules complete" in html
    assert "Module Alpha" in html and "Modul Beta" in html  # beta has no English file
    assert "Module complete" in html


def test_module_page_has_lessons_with_anchors_contents_and_task(course, client):
    html = client.get("/learn/alpha").get_data(as_text=True)
    assert '<h2 id="cahaya-sudut-foto">Cahaya &amp; Sudut Foto</h2>' in html
    assert 'href="#pelajaran-pertama-2"' in html and 'href="#task"' in html
    assert "Tugas alfa" in html and 'href="/learn/alpha/quiz"' in html
    assert "<script>alert" not in html and ' style="' not in html
    assert 'rel="next" href="/learn/beta"' in html


def test_module_page_falls_back_to_indonesian_marked_with_lang(course, client):
    html = client.get("/learn/beta?lang=en").get_data(as_text=True)
    assert "Modul Beta" in html and 'lang="id"' in html


def test_unknown_module_is_404(course, client):
    assert client.get("/learn/nope").status_code == 404
    _seller_login(client)
    assert client.get("/learn/nope/quiz").status_code == 404
    token = get_csrf(client, "/learn/alpha")
    assert client.post("/learn/nope/task", data={"csrf_token": token}).status_code == 404


def test_quiz_asks_anonymous_visitors_to_log_in(course, client):
    response = client.get("/learn/alpha/quiz")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_quiz_form_has_labelled_radios_in_fieldsets(course, client):
    _seller_login(client)
    html = client.get("/learn/alpha/quiz?lang=en").get_data(as_text=True)
    assert html.count("<fieldset") == 5 and html.count("<legend>") == 5
    first_choice = '<input id="q0-0" name="q0" required type="radio" value="0"> A</label>'
    assert '<label class="check">' + first_choice in html
    assert 'name="csrf_token"' in html


def test_quiz_is_recorded_for_the_logged_in_user_only(course, client):
    seller = _seller_login(client)
    other = make_user()
    page = client.get("/learn/alpha/quiz?lang=en").get_data(as_text=True)
    data = {f"q{i}": str(a) for i, a in ALPHA_RIGHT.items()}
    data.update(csrf_token=csrf_from(page), user_id=str(other.id))
    response = client.post("/learn/alpha/quiz", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "You got 5 of 5 right." in html and "Passed!" in html
    assert _row(seller.owner, "alpha").quiz_passed_at is not None
    assert _row(other, "alpha") is None


def test_quiz_result_shows_what_was_wrong_with_the_explanation(course, client):
    _seller_login(client)
    token = get_csrf(client, "/learn/alpha/quiz")
    data = {"csrf_token": token, "q0": "0", "q1": "0", "q2": "0", "q3": "0", "q4": "1"}
    html = client.post("/learn/alpha/quiz?lang=en", data=data).get_data(as_text=True)
    assert "You got 3 of 5 right." in html and "Not passed yet." in html
    assert "Explanation two." in html and "Explanation three." in html
    assert "Explanation one." not in html
    assert 'href="/learn/alpha/quiz"' in html  # try again


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"q0": "0"},
        {"q0": "x", "q1": "1", "q2": "2", "q3": "0", "q4": "1"},
        {"q0": "7", "q1": "1", "q2": "2", "q3": "0", "q4": "1"},
        {"q0": "-1", "q1": "1", "q2": "2", "q3": "0", "q4": "1"},
    ],
)
def test_incomplete_or_garbage_answers_re_render_the_quiz(course, client, answers):
    seller = _seller_login(client)
    token = get_csrf(client, "/learn/alpha/quiz")
    response = client.post("/learn/alpha/quiz?lang=en", data={"csrf_token": token, **answers})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please choose an answer for every question." in html
    assert "Choose one of the answers." in html and "<fieldset" in html
    assert _row(seller.owner, "alpha") is None  # not an attempt


def test_quiz_and_task_posts_need_the_csrf_token(course, client):
    seller = _seller_login(client)
    data = {f"q{i}": str(a) for i, a in ALPHA_RIGHT.items()}
    assert client.post("/learn/alpha/quiz", data=data).status_code == 400
    assert client.post("/learn/alpha/task", data={}).status_code == 400
    assert _row(seller.owner, "alpha") is None


def test_task_confirmation_from_the_module_page(course, client):
    seller = _seller_login(client)
    page = client.get("/learn/alpha?lang=en").get_data(as_text=True)
    assert "I did it" in page and "Not done yet." in page
    response = client.post("/learn/alpha/task", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/learn/alpha#task")
    assert _row(seller.owner, "alpha").task_confirmed_at is not None
    html = client.get("/learn/alpha?lang=en").get_data(as_text=True)
    assert "Done." in html and "I did it" not in html


def test_data_task_shows_live_state_and_refuses_the_button(course, client):
    seller = _seller_login(client)
    page = client.get("/learn/beta?lang=en").get_data(as_text=True)
    assert "Not done yet." in page and "Check again" in page and "I did it" not in page
    response = client.post("/learn/beta/task", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert _row(seller.owner, "beta") is None
    seller.story = LONG_STORY
    db.session.commit()
    assert "Done." in client.get("/learn/beta?lang=en").get_data(as_text=True)


def test_certificate_page_lists_what_is_missing(course, client):
    seller = _seller_login(client)
    progress.mark_completed_for_demo(seller.owner, ["alpha"])
    html = client.get("/learn/certificate?lang=en").get_data(as_text=True)
    assert "Still to do" in html and 'href="/learn/beta"' in html and 'href="/learn/gamma"' in html
    assert db.session.scalar(select(func.count(Certificate.id))) == 0


def test_certificate_page_and_public_verification(course, client):
    seller = _seller_login(client)
    seller.owner.name = "Ni Made Sari"
    db.session.commit()
    progress.mark_completed_for_demo(seller.owner, ["alpha", "beta", "gamma"])
    response = client.get("/learn/certificate?lang=en")
    html = response.get_data(as_text=True)
    certificate = db.session.scalar(select(Certificate))
    verify_url = f"http://localhost/certificates/{certificate.code}"
    assert response.status_code == 200
    assert "Ni Made Sari" in html and verify_url in html and "Module Gamma" in html
    assert '<svg viewBox="' in html and 'class="qr-code"' in html
    assert "<?xml" not in html and " style=" not in html
    assert client.get("/learn/certificate").status_code == 200
    assert db.session.scalar(select(func.count(Certificate.id))) == 1

    client.post("/account/logout", data={"csrf_token": get_csrf(client, "/learn")})
    public = client.get(f"/certificates/{certificate.code}?lang=en")
    page = public.get_data(as_text=True)
    assert public.status_code == 200
    assert "Ni Made Sari" in page and "This certificate is genuine." in page
    assert "Module Alpha" in page and 'content="noindex"' in page
    assert client.get("/certificates/ABCDEFGHJKMN").status_code == 404
    assert client.get("/certificates/%3Cscript%3E").status_code == 404


def test_certificate_page_needs_login(course, client):
    response = client.get("/learn/certificate")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_lesson_url_builds_module_and_lesson_links(course):
    from sellers.training.views import lesson_url

    with course.test_request_context():
        assert lesson_url("alpha") == "/learn/alpha"
        assert lesson_url("alpha", "cahaya-sudut-foto") == "/learn/alpha#cahaya-sudut-foto"
