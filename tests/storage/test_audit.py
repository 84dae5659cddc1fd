"""The keyed, hash-chained audit trail and its signed head: an intact trail verifies; edits,
deletions (one, the newest, every one), insertions, rewrites with recomputed hashes, a forged or
deleted head and unreadable rows do not, each naming the first bad event."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, text
from sqlmodel import select

from storage.audit import (
    GENESIS,
    AuditEntry,
    AuditRefused,
    ChainReport,
    chain_hash,
    is_view,
    read_head,
    verify_trail,
)
from storage.crypto import Keyring, generate_key, parse_keys
from storage.db import make_engine
from storage.keycheck import ensure_keys
from storage.tables import AuditEvent
from storage.uow import Store

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def _append(store: Store, count: int, start: int = 0) -> None:
    with store.unit_of_work() as uow:
        for i in range(start, start + count):
            uow.audit.append("U0ANA", "card.viewed", f"C-{i}", {"n": i},
                             at=T0 + timedelta(seconds=i))
        uow.commit()


def _verify(store: Store, expect_head: str | None = None) -> ChainReport:
    return verify_trail(store.engine, store.keyring, expect_head=expect_head)


def _events(store: Store) -> list[AuditEvent]:
    with store.unit_of_work(read_only=True) as uow:
        events = list(uow.session.exec(select(AuditEvent).order_by(AuditEvent.seq)).all())
        uow.session.expunge_all()
    return events


def _sql(store: Store, statement: str, **params: object) -> None:
    with store.engine.begin() as conn:
        conn.execute(text(statement), params)


@pytest.fixture
def started(store: Store) -> Store:
    """The store after the bot's first start: its key registered, the fresh head signed."""
    with store.unit_of_work() as uow:
        ensure_keys(uow.session, uow.sealer)
        uow.commit()
    return store


def test_an_intact_chain_verifies_and_the_head_follows_it(started: Store) -> None:
    store = started
    assert _verify(store).ok and _verify(store).events == 0
    _append(store, 3)
    _append(store, 2, start=3)  # a later unit of work continues the same chain
    store.audit_writer.append("U0BEN", "card.viewed", "C-9", at=T0)  # and the writer too
    report = _verify(store)
    assert report.ok, report.problems
    assert (report.events, report.first_bad) == (6, None)
    events = _events(store)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert events[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in pairwise(events))
    assert {e.key_id for e in events} == {store.keyring.primary_id}
    with store.engine.connect() as conn:
        head = read_head(conn)
    assert head is not None and (head.events, head.hash) == (6, events[-1].hash) == (
        6, report.head)


@pytest.mark.parametrize("details", [
    {}, {"n": 1},
    {"reason": "Zoë — \"quoted\" \\ back\nline", "nested": {"b": [1, None], "a": True}},
    {"prev": "x", "seq": 99, "~": "keys that sort after prev and seq, inside details"},
    {"emoji": "\U0001f4de", "control": "\u0007"},
])
@pytest.mark.parametrize("client_code", [None, "C-1042", "Ç-ünïcode"])
def test_events_bound_ahead_link_exactly_as_the_chain_defines(started: Store, details: dict,
                                                                client_code: str | None) -> None:
    # An import binds its events before the lock and links them under it: each stored hash
    # must be chain_hash's, or verify-audit would call a good trail broken.
    with started.unit_of_work() as uow:
        bound = uow.audit.bind(AuditEntry("U0ANA", "client.imported", client_code, details,
                                          T0 + timedelta(microseconds=i)) for i in range(3))
    with started.unit_of_work() as uow:
        uow.audit.append("U0BEN", "card.viewed", "C-1")
        placed = uow.audit.append_many(bound)
        uow.commit()
    events = _events(started)
    assert [e.seq for e in events] == [1, 2, 3, 4] and [p.seq for p in placed] == [2, 3, 4]
    for event in events:
        assert event.hash == chain_hash(event.seq, event.at, event.actor, event.action,
                                        event.client_code, event.details, event.prev_hash)
    assert [e.details for e in events[1:]] == [details] * 3
    assert _verify(started).ok


def test_an_uncommitted_event_leaves_no_trace(started: Store) -> None:
    with started.unit_of_work() as uow:
        uow.audit.append("U0ANA", "card.viewed", "C-1")
    assert _verify(started).events == 0 and _verify(started).ok


def test_the_chain_key_is_derived_with_hkdf_under_its_own_label(key: str) -> None:
    master = parse_keys(key)[0]
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"contact-check/v1/audit-chain").derive(master)
    keyring = Keyring.from_env(key)
    message = b"anything"
    assert keyring.chain_mac(message) == hmac.new(derived, message, hashlib.sha256).hexdigest()
    index_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                     info=b"contact-check/v1/blind-index").derive(master)
    assert derived != index_key  # its own key, not the blind index's


@pytest.mark.parametrize(("column", "value"), [
    ("actor", "'U0MALLORY'"),
    ("action", "'client.exported'"),
    ("client_code", "'C-9'"),
])
def test_an_edited_event_is_detected(started: Store, column: str, value: str) -> None:
    _append(started, 3)
    _sql(started, f"UPDATE audit_events SET {column} = {value} WHERE seq = 2")
    report = _verify(started)
    assert report.problems == ("event 2 was altered after it was written",)
    assert report.first_bad == 2


def test_edited_details_are_detected(started: Store) -> None:
    _append(started, 3)
    with started.unit_of_work() as uow:
        event = uow.session.exec(select(AuditEvent).where(AuditEvent.seq == 1)).one()
        event.details = {"n": 99}
        uow.session.add(event)
        uow.commit()
    assert _verify(started).problems == ("event 1 was altered after it was written",)


def _rewrite_from(store: Store, seq: int, actor: str) -> None:
    """Edit event ``seq`` and recompute its hash and every later one (what passed unkeyed)."""
    with store.unit_of_work() as uow:
        events = uow.session.exec(select(AuditEvent).order_by(AuditEvent.seq)).all()
        prev = events[seq - 2].hash if seq > 1 else GENESIS
        for event in events[seq - 1:]:
            if event.seq == seq:
                event.actor = actor
            event.prev_hash = prev
            event.hash = chain_hash(event.seq, event.at, event.actor, event.action,
                                    event.client_code, event.details, prev)
            prev = event.hash
            uow.session.add(event)
        uow.commit()


def test_a_rewrite_with_every_later_hash_recomputed_is_detected(started: Store) -> None:
    _append(started, 5)
    _rewrite_from(started, 2, "U0MALLORY")
    report = _verify(started)
    assert not report.ok
    assert report.first_bad == 2
    assert report.problems[0] == ("event 2 was altered and its hash recomputed (its signature "
                                  "does not match)")


def test_a_rewrite_signed_with_another_key_is_detected(started: Store) -> None:
    _append(started, 3)
    forger = Keyring.from_env(generate_key())
    with started.engine.begin() as conn:
        digest = conn.execute(text("SELECT hash FROM audit_events WHERE seq = 2")).scalar_one()
        mac = forger.chain_mac(b"contact-check/audit/event\x00" + digest.encode())
        conn.execute(text("UPDATE audit_events SET key_id = :k, mac = :m WHERE seq = 2"),
                     {"k": forger.primary_id, "m": mac})
    report = _verify(started)
    assert report.problems == (f"event 2 is signed with key id {forger.primary_id}, which "
                               "CONTACT_CHECK_KEYS does not hold",)


def test_a_deleted_event_is_detected(started: Store) -> None:
    _append(started, 4)
    _sql(started, "DELETE FROM audit_events WHERE seq = 2")
    report = _verify(started)
    assert "events 2..2 are missing (deleted)" in report.problems
    assert "event 3 does not follow the event before it" in report.problems
    assert report.first_bad == 2


def test_deleting_the_newest_events_is_detected(started: Store) -> None:
    _append(started, 5)
    _sql(started, "DELETE FROM audit_events WHERE seq > 3")
    report = _verify(started)
    assert report.problems == ("events 4..5 are missing: the trail was cut short after event 3",)
    assert report.first_bad == 4


def test_deleting_every_event_is_detected(started: Store) -> None:
    _append(started, 4)
    _sql(started, "DELETE FROM audit_events")
    report = _verify(started)
    assert report.problems == ("every event is missing: the signed head counts 4 (the trail was "
                               "emptied)",)
    assert report.first_bad == 1


def test_deleting_the_head_too_is_detected(started: Store) -> None:
    _append(started, 2)
    _sql(started, "DELETE FROM audit_events")
    _sql(started, "DELETE FROM audit_head")
    assert _verify(started).problems == ("the trail's signed head is missing (deleted)",)


def test_a_head_put_back_unsigned_after_emptying_the_trail_is_detected(started: Store) -> None:
    _append(started, 2)
    _sql(started, "DELETE FROM audit_events")
    _sql(started, "UPDATE audit_head SET events = 0, hash = :g, key_id = NULL, mac = NULL",
         g=GENESIS)
    assert _verify(started).problems == ("the trail's head is not signed",)
    with pytest.raises(AuditRefused):  # and nothing signs on from it
        started.audit_writer.append("U0ANA", "card.viewed", "C-1")
    with pytest.raises(AuditRefused), started.unit_of_work() as uow:
        uow.audit.append("U0ANA", "consent.recorded", "C-1")
    assert _verify(started).events == 0


def test_a_head_moved_back_without_the_key_is_detected(started: Store) -> None:
    _append(started, 5)
    third = _events(started)[2].hash
    _sql(started, "DELETE FROM audit_events WHERE seq > 3")
    _sql(started, "UPDATE audit_head SET events = 3, hash = :h", h=third)
    report = _verify(started)
    assert report.problems == ("the trail's head was altered (its signature does not match)",)
    with pytest.raises(AuditRefused, match="verify-audit"):
        started.audit_writer.append("U0ANA", "card.viewed", "C-1")


def test_events_added_without_the_head_are_detected(started: Store) -> None:
    _append(started, 3)
    with started.engine.begin() as conn:  # a copy of the last event, one further, head unmoved
        conn.execute(text(
            "INSERT INTO audit_events (id, seq, at, actor, action, client_code, details, "
            "prev_hash, hash, key_id, mac) SELECT :id, 4, at, actor, action, client_code, "
            "details, hash, hash, key_id, mac FROM audit_events WHERE seq = 3"),
            {"id": "0" * 32})
    report = _verify(started)
    assert report.first_bad == 4
    assert "events 4..4 are not covered by the signed head (added without the key, or the head " \
           "was put back)" in report.problems


def test_an_inserted_event_is_detected(started: Store) -> None:
    _append(started, 3)
    with started.unit_of_work() as uow:
        events = uow.session.exec(select(AuditEvent).order_by(AuditEvent.seq)).all()
        last = events[-1]
        last.seq = 4
        uow.session.add(last)
        uow.session.flush()
        forged_at = T0 + timedelta(seconds=1, milliseconds=500)
        forged = AuditEvent(seq=3, at=forged_at, actor="U0MALLORY", action="consent.changed",
                            client_code="C-1", details={}, prev_hash=events[1].hash,
                            hash=chain_hash(3, forged_at, "U0MALLORY", "consent.changed", "C-1",
                                            {}, events[1].hash))
        uow.session.add(forged)
        uow.commit()
    report = _verify(started)
    assert report.first_bad == 3
    assert report.problems[0] == "event 3 is not signed"
    assert "event 4 was altered after it was written" in report.problems


def test_a_head_kept_elsewhere_is_checked(started: Store) -> None:
    assert _verify(started, expect_head=GENESIS).reached == 0  # the empty trail
    _append(started, 2)
    kept = _verify(started).head
    _append(started, 3, start=2)
    current = _verify(started)
    assert current.ok and _verify(started, expect_head=current.head).reached == 5
    older = _verify(started, expect_head=kept)
    assert older.ok and older.reached == 2  # the trail still reaches it
    unknown = _verify(started, expect_head="ab" * 32)
    assert not unknown.ok
    assert unknown.problems == (f"the head {'ab' * 32} kept elsewhere is not on this trail: the "
                                "trail was cut short or rewritten before it",)


def test_a_replayed_old_state_passes_alone_but_not_against_a_head_kept_elsewhere(
        started: Store) -> None:
    """Someone with a copy of an older, genuinely signed state puts it back: the key cannot
    tell, the head posted to the admins can."""
    _append(started, 3)
    with started.engine.connect() as conn:
        saved = conn.execute(text("SELECT events, hash, key_id, mac FROM audit_head")).one()
    _append(started, 2, start=3)
    posted = _verify(started).head
    _sql(started, "DELETE FROM audit_events WHERE seq > 3")
    _sql(started, "UPDATE audit_head SET events = :e, hash = :h, key_id = :k, mac = :m",
         e=saved[0], h=saved[1], k=saved[2], m=saved[3])
    assert _verify(started).ok
    assert not _verify(started, expect_head=posted).ok


def test_a_fresh_database_has_an_unsigned_head_until_its_first_key(store: Store) -> None:
    assert _verify(store).ok  # nothing registered yet: nothing to sign it with
    store.audit_writer.append("U0ANA", "card.viewed", "C-1", at=T0)  # the first append signs it
    assert _verify(store).ok and _verify(store).events == 1


def test_view_actions_are_the_ones_ending_in_viewed() -> None:
    assert all(is_view(a) for a in ("card.viewed", "consent.viewed", "runin.viewed",
                                    "callback.details_viewed", "approval.reason_viewed"))
    assert not any(is_view(a) for a in ("card.refused", "consent.recorded", "keys.rotated"))


# --- rows no one could have written: read, reported, never a traceback (SQLite keeps any value) --


@pytest.mark.parametrize(("column", "value", "why"), [
    ("seq", "'two'", "its sequence number is not a whole number"),
    ("details", "'{not json'", "its details are not a JSON object"),
    ("details", "'[1, 2]'", "its details are not a JSON object"),
    ("at", "'yesterday'", "its time is not a time"),
    ("actor", "x'00ff'", "its actor, action or client code is not text"),
    ("hash", "'not a hash'", "its hashes are not hashes"),
])
def test_a_corrupt_row_is_reported_not_raised(sqlite_url: str, keyring: Keyring, column: str,
                                              value: str, why: str) -> None:
    engine: Engine = make_engine(sqlite_url)
    try:
        store = Store(engine, keyring)
        _append(store, 3)
        with engine.begin() as conn:  # SQLite keeps a value of any kind in any column
            conn.exec_driver_sql(f"UPDATE audit_events SET {column} = {value} WHERE seq = 2")
        report = _verify(store)
        assert not report.ok
        assert report.first_bad == 2
        assert any(p.endswith(f"is unreadable: {why}") for p in report.problems), report

    finally:
        engine.dispose()
