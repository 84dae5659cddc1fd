"""Calendar feeds end to end (issue 14): a local HTTP server serves the feed; the job fetches,
applies and commits; appointments, chases, notices, the lease and the secret URL are checked."""

from __future__ import annotations

import http.server
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.models.views import View
from sqlmodel import select

from bot.calendars.fetch import MAX_REDIRECTS, FeedError, fetch_feed
from bot.clock import ManualClock
from bot.deps import Deps
from bot.dispatcher import Dispatcher
from bot.outbox_kinds import OUTBOX_KINDS
from bot.policy.clinic import CalendarFeed, ClinicPolicy, TeamMember
from bot.policy.model import ClientRecord
from bot.policy_file import load_policy
from bot.sandbox.standin import SlackStandIn
from bot.scheduling import PERIODIC, Jobs
from bot.services.calendars import (
    NOTICE_KIND,
    FeedFailure,
    FeedSync,
    feed_statuses,
    notice_still_wanted,
)
from bot.services.pending import what_i_owe
from bot.slack_ui.home import home_view
from handlers.calendars import Skipped, sync_feed, sync_feeds_job
from storage.tables import Appointment, AuditEvent, OutboxMessage
from storage.uow import Store
from tests.calendars.feeds import NY, feed

TOKEN = "s3cr3t-t0ken-9f8e7d"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tue 10:00 New York


@dataclass
class Served:
    body: bytes = b""
    status: int = 200
    delay: float = 0.0
    etag: str | None = None
    requests: int = 0
    conditional: int = 0


@pytest.fixture
def server() -> Iterator[tuple[Served, str]]:
    served = Served()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.requests += 1
            if served.delay:
                time.sleep(served.delay)
            if served.etag and self.headers.get("If-None-Match") == served.etag:
                served.conditional += 1
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(served.status)
            self.send_header("Content-Type", "text/calendar")
            if served.etag:
                self.send_header("ETag", served.etag)
            self.end_headers()
            self.wfile.write(served.body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{httpd.server_port}/feeds/{TOKEN}/basic.ics"
    finally:
        httpd.shutdown()
        httpd.server_close()


FEED = CalendarFeed(name="front-office", url_env="TEST_CALENDAR_URL",
                    client_code=re.compile(r"\b([A-Z]-\d{3,4})\b"))


@pytest.fixture
def policy() -> ClinicPolicy:
    team = (TeamMember("U0ANA", "clinician", "Ana"), TeamMember("U0ADMIN", "admin", "Lee"),
            TeamMember("U0DIRECTOR", "admin", "Dana"))
    return replace(load_policy(None), calendars=(FEED,), team=team)


@pytest.fixture
def deps(store: Store, policy: ClinicPolicy) -> Deps:
    with store.unit_of_work() as uow:  # C-1042, Ana's client
        uow.clients.save(ClientRecord(code="C-1042", clinician="U0ANA",
                                      preferred_name="Canary Maple"), now=NOW)
        uow.commit()
    return Deps(store=store, policy=policy, clock=ManualClock(NOW))


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=NY)


def _sessions(*days: int, hour: int = 11) -> list[dict]:
    return [{"uid": f"s{d}@clinic", "summary": "Session C-1042", "start": _at(d, hour)}
            for d in days]


def _sync(deps: Deps, url: str, **kw: object):
    return sync_feed(deps, FEED, environ={"TEST_CALENDAR_URL": url}, force=True, **kw)


def _appointments(store: Store) -> list[tuple[datetime, str]]:
    with store.unit_of_work() as uow:
        rows = uow.session.exec(select(Appointment).order_by(Appointment.start_at)).all()
        return [(a.start_at, a.status) for a in rows]


def _chases(store: Store) -> list[tuple[datetime, str]]:
    with store.unit_of_work() as uow:
        rows = uow.session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "no_show_chase").order_by(OutboxMessage.due_at)).all()
        return [(r.due_at, r.status) for r in rows]


def _notices(store: Store) -> list[OutboxMessage]:
    with store.unit_of_work() as uow:
        rows = list(uow.session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "calendar_feed").order_by(OutboxMessage.created_at)).all())
        uow.session.expunge_all()
        return rows


def test_new_moved_cancelled_removed_and_exdate(deps: Deps, store: Store, server) -> None:
    served, url = server
    series = {"uid": "weekly@clinic", "summary": "Session C-1042", "start": _at(25, 9),
              "rrule": "FREQ=WEEKLY;COUNT=3"}
    served.body = feed("google", [series, *_sessions(26, 27)])
    first = _sync(deps, url)
    assert isinstance(first, FeedSync) and first.created == 4  # 9 Dec is past the window
    assert len(_chases(store)) == 4
    # 27th moved to the 30th; 26th cancelled; the series' 2nd of Dec excluded (EXDATE)
    moved = {"uid": "s27@clinic", "summary": "Session C-1042", "start": _at(30, 14)}
    served.body = feed("google", [
        {**series, "exdates": [datetime(2026, 12, 2, 9, tzinfo=NY)]},
        {"uid": "s26@clinic", "summary": "Session C-1042", "start": _at(26, 11),
         "status": "CANCELLED"},
        moved,
    ])
    second = _sync(deps, url)
    assert isinstance(second, FeedSync)
    assert (second.created, second.moved, second.cancelled) == (0, 1, 2)
    by_start = dict(_appointments(store))
    assert by_start[_at(30, 14)] == "scheduled"
    assert by_start[_at(26, 11)] == "cancelled"
    assert by_start[datetime(2026, 12, 2, 9, tzinfo=NY)] == "cancelled"
    chases = dict(_chases(store))
    assert chases[_at(30, 14, 20)] == "pending"  # the moved chase, wait_minutes after
    assert chases[_at(26, 11, 20)] == "cancelled"
    with store.unit_of_work() as uow:
        audit = [str(a.details) for a in uow.session.exec(select(AuditEvent).where(
            AuditEvent.action == "calendar.synced")).all()]
    assert len(audit) == 2 and "Canary" not in str(audit) and "C-1042" not in str(audit)


def test_an_unchanged_feed_writes_nothing(deps: Deps, store: Store, server) -> None:
    served, url = server
    served.body, served.etag = feed("outlook", _sessions(25, 26)), '"v1"'
    _sync(deps, url)
    before = (_appointments(store), _chases(store))
    again = _sync(deps, url)
    assert isinstance(again, FeedSync) and again.outcome == "unchanged"
    assert served.conditional == 1  # a 304 to If-None-Match
    served.etag = None  # same content without validators: compared by digest
    assert _sync(deps, url).outcome == "unchanged"  # type: ignore[union-attr]
    assert (_appointments(store), _chases(store)) == before
    with store.unit_of_work() as uow:
        assert len(uow.session.exec(select(AuditEvent).where(
            AuditEvent.action == "calendar.synced")).all()) == 1


def test_a_feed_that_drops_most_of_its_appointments_is_held(deps: Deps, store: Store,
                                                            server) -> None:
    served, url = server
    served.body = feed("apple", _sessions(25, 26, 27, 30))
    _sync(deps, url)
    served.body = feed("apple", _sessions(25))  # a truncated export
    held = _sync(deps, url)
    assert isinstance(held, FeedSync) and held.outcome == "held"
    assert [s for _, s in _appointments(store)] == ["scheduled"] * 4
    assert [n.payload["event"] for n in _notices(store)] == ["held", "held"]  # both admins
    accepted = _sync(deps, url, accept_drop=True)
    assert isinstance(accepted, FeedSync) and accepted.cancelled == 3


@pytest.mark.parametrize(("status", "body", "says"), [
    (404, b"not here", "HTTP 404"),
    (503, b"busy", "HTTP 503"),
    (200, b"", "empty"),
    (200, b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART:2026", "cut short"),
    (200, b"BEGIN:VCALENDAR\r\n\xff\xfe\xfd\r\nEND:VCALENDAR\r\n", "not UTF-8"),
])
def test_failures_keep_appointments_and_tell_admins_once(deps: Deps, store: Store, server,
                                                         status: int, body: bytes,
                                                         says: str) -> None:
    served, url = server
    served.body = feed("google", _sessions(25, 26))
    _sync(deps, url)
    served.status, served.body = status, body
    first, second = _sync(deps, url), _sync(deps, url)
    assert isinstance(first, FeedFailure) and says in first.problem and first.new_outage
    assert isinstance(second, FeedFailure) and not second.new_outage
    assert [s for _, s in _appointments(store)] == ["scheduled", "scheduled"]
    down = _notices(store)
    assert len(down) == 2 and {n.recipient for n in down} == {"U0ADMIN", "U0DIRECTOR"}
    with store.unit_of_work() as uow:
        assert notice_still_wanted(uow, down[0], NOW) is None
        text = OUTBOX_KINDS[NOTICE_KIND].prepare(uow, deps.policy, down[0], NOW).text
        assert "front-office" in text and says in text and TOKEN not in text
        status_line = feed_statuses(uow, deps.policy)[0]
        assert status_line.failing_since is not None and says in (status_line.last_error or "")
    served.status, served.body = 200, feed("google", _sessions(25, 26))
    back = _sync(deps, url)
    assert isinstance(back, FeedSync) and back.recovered
    assert [n.payload["event"] for n in _notices(store)].count("up") == 2


def test_a_timeout_is_a_failure_that_names_the_wait(server) -> None:
    served, url = server
    served.delay = 1.5
    with pytest.raises(FeedError, match=r"did not answer within 0\.5 s") as caught:
        fetch_feed(FEED, environ={"TEST_CALENDAR_URL": url}, timeout=0.5)
    assert TOKEN not in str(caught.value) and caught.value.__cause__ is None


def test_plain_http_elsewhere_and_oversized_feeds_are_refused(server) -> None:
    served, url = server
    with pytest.raises(FeedError, match="only https"):
        fetch_feed(FEED, environ={"TEST_CALENDAR_URL": f"http://example.org/{TOKEN}.ics"})
    served.body = b"BEGIN:VCALENDAR\r\n" + b"X" * 5000
    with pytest.raises(FeedError, match="larger than"):
        fetch_feed(FEED, environ={"TEST_CALENDAR_URL": url}, max_bytes=1024)


def test_an_unknown_code_is_reported_once_by_code(deps: Deps, store: Store, server) -> None:
    served, url = server
    served.body = feed("ehr", [{"uid": "a", "summary": "Session", "description": "Client C-9999",
                                "start": _at(25, 9)}])
    result = _sync(deps, url)
    assert isinstance(result, FeedSync) and result.ignored == {"client not on file": 1}
    served.body = feed("ehr", [{"uid": "a", "summary": "Session", "description": "Client C-9999",
                                "start": _at(26, 9)}])
    _sync(deps, url)
    notices = _notices(store)
    assert [(n.payload["event"], n.payload["code"]) for n in notices] == \
        [("unknown_code", "C-9999")] * 2  # once for each admin, not again


def test_one_replica_syncs_a_feed_at_a_time(deps: Deps, server) -> None:
    served, url = server
    served.body = feed("google", _sessions(25))
    with deps.store.unit_of_work() as uow:
        assert uow.calendars.take_lease(FEED.name, "other", NOW, NOW + timedelta(minutes=5))
        uow.commit()
    skipped = _sync(deps, url)
    assert isinstance(skipped, Skipped) and served.requests == 0
    deps.clock.advance(timedelta(minutes=6))  # type: ignore[attr-defined]
    assert isinstance(_sync(deps, url), FeedSync)


def test_the_feed_token_is_never_logged_or_printed(deps: Deps, server, caplog, capsys) -> None:
    served, url = server
    caplog.set_level(logging.DEBUG)
    for status, body in ((200, feed("google", _sessions(25))), (404, b""), (200, b"junk")):
        served.status, served.body = status, body
        _sync(deps, url)
    out = capsys.readouterr()
    assert TOKEN not in caplog.text + out.out + out.err
    assert "front-office" in caplog.text


# --- what admins see on App Home -----------------------------------------------------------------


def test_admins_see_each_feed_s_last_sync_and_error_on_home(deps: Deps, store: Store,
                                                            server) -> None:
    served, url = server
    served.body = feed("google", _sessions(25))
    _sync(deps, url)
    with store.unit_of_work() as uow:
        fine = json.dumps(home_view(what_i_owe(uow, deps.policy, "U0ADMIN", NOW), NY))
    assert "Calendar feeds" in fine
    assert ":white_check_mark: *front-office*: last synced Tue 24 Nov 10:00" in fine
    deps.clock.advance(timedelta(minutes=7))  # type: ignore[attr-defined]
    served.status = 404
    _sync(deps, url)
    with store.unit_of_work() as uow:
        admin = what_i_owe(uow, deps.policy, "U0ADMIN", NOW)
        clinician = what_i_owe(uow, deps.policy, "U0ANA", NOW)
    assert admin is not None and clinician is not None
    view = home_view(admin, NY)
    assert View(**view).to_dict() == view
    text = json.dumps(view)
    assert ":warning: *front-office*: last synced Tue 24 Nov 10:00; last error Tue 24 Nov " \
           "10:07: the server has no feed at that address (HTTP 404)" in text
    assert TOKEN not in text and "127.0.0.1" not in text
    assert clinician.feeds == () and "Calendar feeds" not in json.dumps(home_view(clinician, NY))


# --- redirects ---------------------------------------------------------------------------------


@pytest.fixture
def redirects() -> Iterator[str]:
    """``/hop/N/...`` redirects to ``/hop/N-1/...``; ``/hop/0/...`` serves a feed;
    ``/away/...`` redirects to plain http on another host."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = self.path.split("/")
            if parts[1] == "away":
                self.send_response(302)
                self.send_header("Location", f"http://calendar.example.org/{TOKEN}.ics")
            elif parts[1] == "hop" and parts[2] != "0":
                self.send_response(301)
                self.send_header("Location", f"/hop/{int(parts[2]) - 1}/{TOKEN}.ics")
            else:
                self.send_response(200)
                self.end_headers()
                self.wfile.write(feed("google", _sessions(25)))
                return
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _fetch(url: str) -> bytes | None:
    return fetch_feed(FEED, environ={"TEST_CALENDAR_URL": url}).body


def test_redirects_are_followed_up_to_the_limit_and_each_is_checked(redirects: str) -> None:
    assert b"BEGIN:VCALENDAR" in (_fetch(f"{redirects}/hop/{MAX_REDIRECTS}/{TOKEN}.ics") or b"")
    with pytest.raises(FeedError, match=f"redirected more than {MAX_REDIRECTS} times") as many:
        _fetch(f"{redirects}/hop/{MAX_REDIRECTS + 1}/{TOKEN}.ics")
    with pytest.raises(FeedError, match=r"redirected \(HTTP 302\) to an address that is not "
                                        r"https://; not followed") as away:
        _fetch(f"{redirects}/away/{TOKEN}.ics")
    for caught in (many, away):
        assert TOKEN not in str(caught.value) and caught.value.__cause__ is None
        assert "example.org" not in str(caught.value)


# --- the periodic job ----------------------------------------------------------------------------


def test_serve_s_scheduler_syncs_at_start_and_then_when_each_feed_is_due(
        deps: Deps, store: Store, server, monkeypatch: pytest.MonkeyPatch) -> None:
    served, url = server
    served.body = feed("google", _sessions(25, 26))
    monkeypatch.setenv("TEST_CALENDAR_URL", url)
    (job,) = [p for p in PERIODIC if p[2] is sync_feeds_job]
    with SlackStandIn() as slack:
        deps.slack_api_url, deps.bot_token = slack.api_url, "xoxb-test"
        jobs = Jobs(deps, dispatcher=Dispatcher(deps, per_channel_interval=0.0),
                    wake_every=60, periodic=(job,))
        jobs.start()  # as serve starts them: every periodic job runs at once
        try:
            deadline = time.monotonic() + 10
            while len(_appointments(store)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            jobs.stop()
    assert len(_appointments(store)) == 2 and served.requests == 1
    sync_feeds_job(deps)  # 30 s later: not due before `every` (5m)
    assert served.requests == 1
    deps.clock.advance(FEED.every)  # type: ignore[attr-defined]
    sync_feeds_job(deps)
    assert served.requests == 2
