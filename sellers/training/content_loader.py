"""Training modules read from data files: ``content/<slug>.<lang>.md``.

Each file is TOML front matter between ``+++`` lines (slug, order, title, summary, minutes, task,
task_title, task_help and ``[[quiz]]`` tables) followed by a Markdown body whose ``## `` headings
start the lessons. Keeping the course as files lets trainers and writers improve it without
touching code, and the same files ship with every install.

The files are trusted (they come with the code), but the rendered HTML still goes through nh3:
a slip in a file must not be able to put a script or an inline style (which the site's CSP
would block anyway) on a page. The allow-list keeps the SVG elements used for diagrams.

Parsed modules are cached per process; the cache key is every file's name, size and mtime, so
an edited file is picked up on the next request without a restart.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import markdown
import nh3
from markupsafe import Markup

from marketplace.i18n import format_rupiah
from marketplace.text import slugify

DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent / "content"
DEFAULT_LANGUAGE = "id"
FILE_NAME = re.compile(r"^(?P<slug>[a-z0-9][a-z0-9-]*)\.(?P<lang>[a-z]{2})\.md$")
FRONT_MATTER = re.compile(r"\A\s*\+\+\+[ \t]*\r?\n(?P<toml>.*?)\r?\n\+\+\+[ \t]*(?:\r?\n|\Z)", re.S)
LESSON_HEADING = re.compile(r"^##[ \t]+(?P<title>.+?)[ \t#]*$")
FENCE = re.compile(r"^[ \t]*(```|~~~)")
REQUIRED_KEYS = ("slug", "order", "title", "summary", "task", "task_title", "task_help")
# Ids the page itself uses; a lesson heading that slugifies to one of them gets a suffix.
# An amount as authors write it, "Rp 25.000" (or "Rp 25,000", "Rp 750"); never followed by more
# digits, so "Rp 2.5" or a phone number are left alone.
RUPIAH = re.compile(r"\bRp ?(\d{1,3}(?:[.,]\d{3})+|\d+)(?![.,]?\d)")
RESERVED_IDS = frozenset({"main", "q", "toc", "task", "quiz", "lang-label", "lessons"})

# --- sanitising -------------------------------------------------------------------------------

# fmt: off
_SVG_TAGS = {
    "svg", "g", "defs", "marker", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "path", "text", "tspan", "title", "desc",
}
_HTML_TAGS = {
    "p", "br", "hr", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del", "ins",
    "mark", "small", "sub", "sup", "abbr", "code", "pre", "kbd", "blockquote", "q", "ul", "ol",
    "li", "dl", "dt", "dd", "a", "img", "table", "caption", "thead", "tbody", "tfoot", "tr", "th",
    "td", "figure", "figcaption", "div", "span",
}
_SVG_ATTRIBUTES = {
    "viewBox", "preserveAspectRatio", "width", "height", "x", "y", "dx", "dy", "cx", "cy", "r",
    "rx", "ry", "x1", "y1", "x2", "y2", "points", "d", "transform", "fill", "fill-opacity",
    "stroke", "stroke-width", "stroke-opacity", "stroke-linecap", "stroke-linejoin",
    "stroke-dasharray", "opacity", "font-size", "font-weight", "font-family", "font-style",
    "text-anchor", "dominant-baseline", "marker-end", "marker-start", "markerWidth",
    "markerHeight", "refX", "refY", "orient", "focusable",
}
_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "id", "lang", "title", "role", "aria-label", "aria-labelledby",
          "aria-describedby", "aria-hidden"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading"},
    "abbr": set(),
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
    **{tag: set(_SVG_ATTRIBUTES) for tag in _SVG_TAGS},
}
# fmt: on
_TABLE_ALIGN = re.compile(r'<(th|td) style="text-align: (left|right|center);?">')


def sanitize(html: str) -> str:
    """Keep lesson HTML (and SVG diagrams); drop scripts, event handlers and style attributes."""
    # Markdown's tables write alignment as an inline style, which the CSP would refuse: turn it
    # into a class the stylesheet knows before the sanitiser drops every style attribute.
    html = _TABLE_ALIGN.sub(r'<\1 class="align-\2">', html)
    return nh3.clean(
        html,
        tags=_HTML_TAGS | _SVG_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
    )


def render_markdown(text: str) -> Markup:
    html = markdown.markdown(text, extensions=["extra"], output_format="html")
    return Markup(sanitize(html))  # noqa: S704 - sanitised by nh3 on the line above


# --- data ---------------------------------------------------------------------------------------


class ContentError(ValueError):
    """A content file is malformed. Raised at load time so a broken file fails its test."""


@dataclass(frozen=True)
class Lesson:
    id: str  # the anchor on the module page: /learn/<slug>#<id>
    title: str
    html: Markup


@dataclass(frozen=True)
class Question:
    question: str
    choices: tuple[str, ...]
    answer: int  # 0-based index into ``choices``
    explain: str


@dataclass(frozen=True)
class ModuleText:
    """Everything in one language file of a module."""

    lang: str
    title: str
    summary: str
    task_title: str
    task_help: str
    intro_html: Markup
    lessons: tuple[Lesson, ...]
    quiz: tuple[Question, ...]
    minutes: int


@dataclass(frozen=True)
class Module:
    """One training module with its texts in every language it has, seen in ``locale``.

    Slug, order and task are the same in every language; the texts are looked up in the
    requested language, falling back to Indonesian (the product's language) when that file is
    missing, so a module written only in Indonesian still shows up for English visitors.
    """

    slug: str
    order: int
    task: str
    texts: Mapping[str, ModuleText] = field(repr=False, hash=False)
    locale: str = DEFAULT_LANGUAGE

    @property
    def text(self) -> ModuleText:
        if self.locale in self.texts:
            return self.texts[self.locale]
        if DEFAULT_LANGUAGE in self.texts:
            return self.texts[DEFAULT_LANGUAGE]
        return next(iter(self.texts.values()))

    @property
    def lang(self) -> str:
        """The language the texts are really in (for ``lang=`` when it differs from the page)."""
        return self.text.lang

    @property
    def title(self) -> str:
        return self.text.title

    @property
    def summary(self) -> str:
        return self.text.summary

    @property
    def minutes(self) -> int:
        return self.text.minutes

    @property
    def task_title(self) -> str:
        return self.text.task_title

    @property
    def task_help(self) -> str:
        return self.text.task_help

    @property
    def intro_html(self) -> Markup:
        return self.text.intro_html

    @property
    def lessons(self) -> tuple[Lesson, ...]:
        return self.text.lessons

    @property
    def quiz(self) -> tuple[Question, ...]:
        return self.text.quiz

    def title_in(self, lang: str) -> str:
        return self.in_locale(lang).title

    def in_locale(self, locale: str) -> Module:
        return replace(self, locale=locale)


# --- parsing ------------------------------------------------------------------------------------


def split_front_matter(source: str, name: str = "<content>") -> tuple[dict, str]:
    match = FRONT_MATTER.match(source)
    if not match:
        raise ContentError(f"{name}: no +++ front matter at the top")
    try:
        meta = tomllib.loads(match.group("toml"))
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{name}: front matter is not valid TOML: {error}") from error
    return meta, source[match.end() :]


def split_lessons(body: str) -> tuple[str, list[tuple[str, str]]]:
    """``(intro, [(heading, markdown), ...])``: a lesson starts at each ``## `` line.

    Lines inside fenced code blocks are not headings.
    """
    intro: list[str] = []
    lessons: list[tuple[str, list[str]]] = []
    in_fence = False
    for line in body.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else LESSON_HEADING.match(line)
        if heading:
            lessons.append((heading.group("title").strip(), []))
        elif lessons:
            lessons[-1][1].append(line)
        else:
            intro.append(line)
    return "\n".join(intro).strip(), [(t, "\n".join(lines).strip()) for t, lines in lessons]


def _plain_heading(title: str) -> str:
    """Headings are shown as text: drop Markdown emphasis and code marks."""
    return re.sub(r"[*_`]+", "", title).strip()


def _lesson_ids(titles: list[str]) -> list[str]:
    ids: list[str] = []
    for title in titles:
        base = slugify(title, max_length=60)
        candidate, n = base, 2
        while candidate in ids or candidate in RESERVED_IDS:
            candidate, n = f"{base}-{n}", n + 1
        ids.append(candidate)
    return ids


def _parse_quiz(raw, name: str) -> tuple[Question, ...]:
    if not isinstance(raw, list):
        raise ContentError(f"{name}: [[quiz]] must be a list of tables")
    questions = []
    for number, item in enumerate(raw, start=1):
        try:
            choices = tuple(str(c) for c in item["choices"])
            answer = item["answer"]
            question = Question(str(item["question"]), choices, answer, str(item["explain"]))
        except (KeyError, TypeError) as error:
            raise ContentError(f"{name}: quiz question {number} lacks {error}") from error
        if len(choices) < 2:
            raise ContentError(f"{name}: quiz question {number} needs at least two choices")
        if (
            not isinstance(answer, int)
            or isinstance(answer, bool)
            or not (0 <= answer < len(choices))
        ):
            raise ContentError(f"{name}: quiz question {number}: answer is not a choice index")
        questions.append(question)
    return tuple(questions)


def parse_module_file(source: str, name: str = "<content>") -> tuple[dict, ModuleText]:
    """``(language-independent fields, texts)`` of one file."""
    meta, body = split_front_matter(source, name)
    missing = [key for key in REQUIRED_KEYS if key not in meta]
    if missing:
        raise ContentError(f"{name}: front matter lacks {', '.join(missing)}")
    if not isinstance(meta["order"], int):
        raise ContentError(f"{name}: order must be an integer")
    intro, raw_lessons = split_lessons(body)
    titles = [_plain_heading(title) for title, _ in raw_lessons]
    lessons = tuple(
        Lesson(id=lesson_id, title=title, html=render_markdown(text))
        for lesson_id, title, (_, text) in zip(
            _lesson_ids(titles), titles, raw_lessons, strict=True
        )
    )
    text = ModuleText(
        lang="",
        title=str(meta["title"]),
        summary=str(meta["summary"]),
        task_title=str(meta["task_title"]),
        task_help=str(meta["task_help"]),
        intro_html=render_markdown(intro) if intro else Markup(""),
        lessons=lessons,
        quiz=_parse_quiz(meta.get("quiz", []), name),
        minutes=int(meta.get("minutes", 0) or 0),
    )
    common = {"slug": str(meta["slug"]), "order": meta["order"], "task": str(meta["task"])}
    return common, text


def _signature(directory: Path) -> tuple:
    """Names, sizes and mtimes of the content files: changes whenever any file changes."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except FileNotFoundError:
        return ()
    return tuple(
        (e.name, e.stat().st_size, e.stat().st_mtime_ns)
        for e in entries
        if e.is_file() and FILE_NAME.match(e.name)
    )


@lru_cache(maxsize=4)
def _load(directory: str, signature: tuple) -> dict[str, Module]:
    files: dict[str, dict[str, tuple[dict, ModuleText]]] = {}
    for name, _size, _mtime in signature:
        match = FILE_NAME.match(name)
        if match is None:  # never: the signature lists matching names only
            continue
        source = (Path(directory) / name).read_text(encoding="utf-8")
        common, text = parse_module_file(source, name)
        lang = match.group("lang")
        if common["slug"] != match.group("slug"):
            raise ContentError(f"{name}: slug {common['slug']!r} does not match the file name")
        text = _money_in(replace(text, lang=lang))
        files.setdefault(common["slug"], {})[lang] = (common, text)
    loaded: dict[str, Module] = {}
    for slug, by_lang in files.items():
        canonical = by_lang.get(DEFAULT_LANGUAGE) or next(iter(by_lang.values()))
        common = canonical[0]
        loaded[slug] = Module(
            slug=slug,
            order=common["order"],
            task=common["task"],
            texts={lang: text for lang, (_, text) in by_lang.items()},
        )
    return dict(sorted(loaded.items(), key=lambda item: (item[1].order, item[0])))


def _money_in(text: ModuleText) -> ModuleText:
    """Every rupiah amount written the way the file's language writes money: "Rp 25,000" in an
    English lesson, quiz and diagram, "Rp 25.000" in an Indonesian one, through the same
    formatter as prices on the rest of the site."""

    def fix(value):
        shown = RUPIAH.sub(
            lambda m: format_rupiah(int(re.sub(r"[.,]", "", m.group(1))), text.lang), str(value)
        )
        if isinstance(value, Markup):  # sanitised HTML in which only digits and separators changed
            return Markup(shown)  # noqa: S704
        return shown

    return replace(
        text,
        title=fix(text.title),
        summary=fix(text.summary),
        task_title=fix(text.task_title),
        task_help=fix(text.task_help),
        intro_html=fix(text.intro_html),
        lessons=tuple(replace(lesson, html=fix(lesson.html)) for lesson in text.lessons),
        quiz=tuple(
            replace(
                q,
                question=fix(q.question),
                choices=tuple(fix(c) for c in q.choices),
                explain=fix(q.explain),
            )
            for q in text.quiz
        ),
    )


def content_dir() -> Path:
    """The configured directory (``TRAINING_CONTENT_DIR``, for tests), else the packaged one."""
    from flask import current_app, has_app_context

    if has_app_context():
        configured = current_app.config.get("TRAINING_CONTENT_DIR")
        if configured:
            return Path(configured)
    return DEFAULT_CONTENT_DIR


def load_all(directory: Path | str | None = None) -> dict[str, Module]:
    """Every module by slug, in course order (cached until a file changes)."""
    path = Path(directory) if directory is not None else content_dir()
    return _load(str(path), _signature(path))


def _locale(locale: str | None) -> str:
    if locale:
        return locale
    from marketplace.i18n import current_locale

    return current_locale()


def modules(locale: str | None = None) -> list[Module]:
    """The course in ``order``, texts in ``locale`` (default: the current request's)."""
    lang = _locale(locale)
    return [module.in_locale(lang) for module in load_all().values()]


def get_module(slug: str, locale: str | None = None) -> Module | None:
    module = load_all().get(slug)
    return module.in_locale(_locale(locale)) if module else None
