"""The live board for the projector: ``/trainer/workshops/<id>/board``.

The page polls ``…/board/state`` every few seconds (``static/js/board.js``). That endpoint
answers with the grid as an HTML fragment and an ETag made from the board's data, or with an
empty 304 when the data has not changed: short requests that never hold a gunicorn worker, as a
long-lived connection from every open board would. Without JavaScript a reload (the "Refresh"
link) shows the same grid.

Both responses are ``Cache-Control: no-cache, private``: the browser and any proxy must ask
again every time, and nothing shared may keep a trainer's view of their participants. The page
cache (``marketplace.page_cache``) never sees them: it wraps only public catalogue views, and
only for visitors who are not logged in.
"""

from __future__ import annotations

from flask import Blueprint, Response, make_response, render_template, request

from marketplace.i18n import current_locale
from sellers.workshops import board as board_data
from sellers.workshops.access import trainer_required, trainer_workshop_or_404

bp = Blueprint("workshop_board", __name__, url_prefix="/trainer/workshops")

CACHE_CONTROL = "no-cache, private"
POLL_SECONDS = 3


def _etag(board: board_data.Board) -> str:
    # The fragment is written in the viewer's language: a switch of language is a new version.
    return f"{board.version}-{current_locale()}"


def _no_store_in_shared_caches(response: Response, etag: str) -> Response:
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Cookie")
    return response


@bp.get("/<int:workshop_id>/board")
@trainer_required
def board(workshop_id: int):
    workshop = trainer_workshop_or_404(workshop_id)
    data = board_data.board(workshop, current_locale())
    etag = _etag(data)
    page = render_template(
        "trainer/board.html", workshop=workshop, board=data, etag=etag, poll_seconds=POLL_SECONDS
    )
    return _no_store_in_shared_caches(make_response(page), etag)


@bp.get("/<int:workshop_id>/board/state")
@trainer_required
def state(workshop_id: int):
    workshop = trainer_workshop_or_404(workshop_id)
    data = board_data.board(workshop, current_locale())
    etag = _etag(data)
    # Weak comparison: a proxy that compresses the answer may hand the ETag back as W/"…".
    if request.if_none_match.contains_weak(etag):
        response = make_response("", 304)
    else:
        response = make_response(render_template("trainer/board_grid.html", board=data))
    return _no_store_in_shared_caches(response, etag)
