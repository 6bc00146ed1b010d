"""A shop's status moves like an order's: only along its table, with a compare-and-set write,
and every move leaves a row in the shop's history."""

from __future__ import annotations

import itertools
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select, update

from marketplace.audit import AuditEvent
from marketplace.auth.models import Role, User
from marketplace.extensions import db
from marketplace.states import ChangedMeanwhile, InvalidTransition
from sellers import services, states
from sellers.models import Seller, SellerEvent, SellerStatus
from tests.conftest import get_csrf, login
from tests.factories import PASSWORD, make_seller, make_user


@pytest.fixture()
def outbox(app_ctx, monkeypatch, tmp_path):
    path = tmp_path / "outbox.log"
    monkeypatch.setitem(app_ctx.config, "MAIL_OUTBOX", str(path))
    return path


def _events(seller: Seller) -> list[tuple[str, str, int | None, str]]:
    return [(e.from_status, e.to_status, e.actor_id, e.note) for e in states.history(seller)]


def _admin():
    return make_user(roles=(Role.BUYER, Role.ADMIN), name="Dewi Admin")


def _behind_its_back(seller: Seller, status: SellerStatus) -> None:
    """Another transaction moves the shop and commits; ``seller`` still holds the old status."""
    with db.engine.begin() as conn:
        conn.execute(update(Seller).where(Seller.id == seller.id).values(status=status.value))


# --- the table -----------------------------------------------------------------------------------


def test_every_move_in_the_table_is_made_and_recorded_and_no_other(app_ctx):
    admin = _admin()
    made, refused = [], []
    for start, target in itertools.product(SellerStatus, SellerStatus):
        seller = make_seller(status=start)
        try:
            services.set_status(seller, target, admin)
        except services.ShopError:
            refused.append((start, target))
            db.session.refresh(seller)
            assert seller.status == start
            assert _events(seller) == []
        else:
            made.append((start, target))
            db.session.refresh(seller)
            assert seller.status == target
            assert _events(seller) == [(start.value, target.value, admin.id, "")]
    assert sorted(made) == sorted(
        (start, target)
        for start, targets in states.SELLER_TRANSITIONS.items()
        for target in targets
    )
    assert len(made) + len(refused) == len(SellerStatus) ** 2
    assert (SellerStatus.VERIFIED, SellerStatus.DRAFT) in refused  # nothing goes back to draft
    assert (SellerStatus.SUSPENDED, SellerStatus.SUBMITTED) in refused


def test_the_machine_is_the_cores_compare_and_set(app_ctx):
    seller = make_seller(status=SellerStatus.SUBMITTED)
    with pytest.raises(InvalidTransition):
        states.transition(seller, SellerStatus.SUSPENDED)
    _behind_its_back(seller, SellerStatus.REJECTED)
    with pytest.raises(ChangedMeanwhile):
        states.transition(seller, SellerStatus.VERIFIED)
    db.session.rollback()
    assert db.session.scalar(select(func.count(SellerEvent.id))) == 0


# --- the shop's history through its use cases -------------------------------------------------


def test_the_history_follows_a_shop_from_submission_to_reinstatement(app_ctx, outbox):
    seller = make_seller(status=SellerStatus.DRAFT)
    owner_id = seller.owner_id
    admin = _admin()
    reason = "Foto KTP buram: mohon foto ulang di tempat terang."
    with app_ctx.test_request_context():
        services.submit_for_verification(seller)
        services.reject_seller(seller, admin, reason)
        services.submit_for_verification(seller)
        services.approve_seller(seller, admin)
        services.change_status_by_admin(seller, admin, SellerStatus.SUSPENDED)
        services.change_status_by_admin(seller, admin, SellerStatus.VERIFIED)
    assert _events(seller) == [
        ("draft", "submitted", owner_id, ""),
        ("submitted", "rejected", admin.id, reason),
        ("rejected", "submitted", owner_id, ""),
        ("submitted", "verified", admin.id, ""),
        ("verified", "suspended", admin.id, ""),
        ("suspended", "verified", admin.id, ""),
    ]
    assert seller.status == SellerStatus.VERIFIED and seller.submitted_at is not None


def test_a_second_submission_is_refused_and_records_nothing(app_ctx):
    seller = make_seller(status=SellerStatus.DRAFT)
    assert services.can_submit(seller)
    services.submit_for_verification(seller)
    assert not services.can_submit(seller)
    with pytest.raises(services.ShopError):
        services.submit_for_verification(seller)
    assert [to for _f, to, _a, _n in _events(seller)] == ["submitted"]


def test_a_decision_on_a_shop_someone_else_just_decided_changes_nothing(app_ctx, outbox):
    """The shop was loaded as waiting; another admin's rejection committed before this click."""
    seller = make_seller(status=SellerStatus.SUBMITTED)
    admin = _admin()
    assert seller.status == SellerStatus.SUBMITTED  # loaded: the stale view of this admin
    _behind_its_back(seller, SellerStatus.REJECTED)
    with app_ctx.test_request_context(), pytest.raises(services.StatusChangedMeanwhile):
        services.approve_seller(seller, admin)
    db.session.refresh(seller)
    assert seller.status == SellerStatus.REJECTED
    assert _events(seller) == []
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0
    assert not outbox.exists()  # the seller is not told about a decision that did not happen


def test_admin_sees_the_history_with_who_and_why(client, outbox):
    seller = make_seller(status=SellerStatus.DRAFT, shop_name="Tenun Sukarara")
    admin = _admin()
    with client.application.test_request_context():
        services.submit_for_verification(seller)
        services.reject_seller(seller, admin, "Foto KTP buram.")
    login(client, admin.email, PASSWORD)
    html = client.get(f"/admin/sellers/{seller.id}?lang=en").get_data(as_text=True)
    history = html[html.index('id="history-heading"') :]
    assert "Status history" in history
    assert "Draft → <strong>Waiting for verification</strong>" in history
    assert f"Waiting for verification → <strong>Rejected</strong> · by {admin.name}" in history
    assert "Foto KTP buram." in history


def test_a_shop_without_moves_says_so(client):
    seller = make_seller()
    admin = _admin()
    login(client, admin.email, PASSWORD)
    html = client.get(f"/admin/sellers/{seller.id}?lang=en").get_data(as_text=True)
    assert "No status changes recorded yet." in html


def test_the_admin_who_clicks_second_is_told_someone_else_decided(client, outbox, monkeypatch):
    """Between loading the shop and deciding, another admin's rejection commits."""
    seller = make_seller(status=SellerStatus.SUBMITTED)
    admin = _admin()
    login(client, admin.email, PASSWORD)
    token = get_csrf(client, "/admin/sellers")
    load = services.get_seller

    def load_then_lose_the_race(seller_id: int):
        found = load(seller_id)
        assert found.status == SellerStatus.SUBMITTED
        _behind_its_back(found, SellerStatus.REJECTED)
        return found

    monkeypatch.setattr(services, "get_seller", load_then_lose_the_race)
    response = client.post(
        f"/admin/sellers/{seller.id}/approve?lang=en",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Someone else changed this shop&#39;s status just now." in html
    db.session.refresh(seller)
    assert seller.status == SellerStatus.REJECTED and _events(seller) == []
    assert not outbox.exists()


# --- two admins at the same moment ---------------------------------------------------------------


def _decide_at_once(app, seller_id: int, admin_ids: list[int], reason: str) -> Counter:
    """Each admin in a thread of its own loads the waiting shop, then all decide together:
    even ids approve, odd ids reject."""
    barrier = threading.Barrier(len(admin_ids))
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(n: int, admin_id: int) -> None:
        with app.test_request_context():
            try:
                seller = services.get_seller(seller_id)
                admin = db.session.get(User, admin_id)
                assert seller.status == SellerStatus.SUBMITTED  # each admin's view, soon stale
                barrier.wait(timeout=30)
                if n % 2 == 0:
                    services.approve_seller(seller, admin)
                else:
                    services.reject_seller(seller, admin, reason)
                outcome = "decided"
            except services.StatusChangedMeanwhile:
                outcome = "changed meanwhile"
            except Exception as exc:  # noqa: BLE001 - any other failure is the finding
                outcome = f"{type(exc).__name__}: {exc}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [
        threading.Thread(target=decide, args=(n, admin_id)) for n, admin_id in enumerate(admin_ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a decision hung"
    return Counter(outcomes)


def test_two_admins_deciding_at_once_make_exactly_one_decision(app_ctx, outbox):
    seller = make_seller(status=SellerStatus.SUBMITTED)
    admin_ids = [_admin().id for _ in range(4)]
    seller_id = seller.id
    db.session.commit()  # hand the connection back: the admins need pooled ones

    outcomes = _decide_at_once(app_ctx, seller_id, admin_ids, "Foto KTP buram.")

    assert outcomes == {"decided": 1, "changed meanwhile": 3}
    db.session.expire_all()
    seller = db.session.get(Seller, seller_id)
    events = states.history(seller)
    assert len(events) == 1
    (event,) = events
    assert (event.from_status, event.to_status) == ("submitted", seller.status)
    assert event.actor_id in admin_ids
    assert seller.status in (SellerStatus.VERIFIED, SellerStatus.REJECTED)
    assert seller.rejection_reason == ("Foto KTP buram." if seller.status == "rejected" else "")
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 1
    assert outbox.read_text(encoding="utf-8").count("To: ") == 1
