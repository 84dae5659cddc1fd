"""Log lines never carry client data: tracebacks lose their messages, libraries lose their text."""

from __future__ import annotations

import io
import logging

import pytest

from bot import logs

CANARY = "Robin Canary +12155550199"


@pytest.fixture
def captured():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.configure(logging.DEBUG, stream=stream)
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def _raise_with_canary() -> None:
    try:
        raise KeyError(CANARY)
    except KeyError as inner:
        raise ValueError(f"while saving {CANARY}") from inner


def test_traceback_keeps_where_and_drops_what(captured):
    try:
        _raise_with_canary()
    except ValueError:
        logging.getLogger("bot.dispatcher").exception("drain failed for outbox %s", "row-1")
    text = captured.getvalue()
    assert "drain failed for outbox row-1" in text
    assert "builtins.ValueError (message withheld)" in text
    assert "caused by builtins.KeyError" in text
    assert "_raise_with_canary" in text and "test_logs.py" in text
    assert "Canary" not in text and "2155550199" not in text


def test_an_exception_line_with_no_exception_is_written(captured, capsys):
    # logger.exception outside an except block hands the formatter (None, None, None)
    logging.getLogger("bot.dispatcher").exception("drain failed for outbox %s", "row-2")
    text = captured.getvalue()
    assert "drain failed for outbox row-2" in text and "NoneType: None" in text
    assert "Logging error" not in capsys.readouterr().err


def test_library_lines_lose_their_text_unless_known_safe(captured):
    logging.getLogger("slack_bolt.App").warning("Unhandled request: %s", CANARY)
    logging.getLogger("slack_sdk.web.base_client").debug("Sending a request body=%s", CANARY)
    logging.getLogger("waitress.queue").warning("Task queue depth is %d", 7)
    text = captured.getvalue()
    assert "Canary" not in text
    assert text.count("library message withheld") == 2
    assert "Task queue depth is 7" in text


def test_our_own_lines_are_kept(captured):
    logging.getLogger("handlers.reminders").info("closure-warning request: %s", "requested")
    assert "handlers.reminders closure-warning request: requested" in captured.getvalue()


def test_a_cached_exception_text_from_another_handler_is_not_reused(captured):
    record = logging.LogRecord("bot.x", logging.ERROR, __file__, 1, "failed", None, None)
    try:
        raise RuntimeError(CANARY)
    except RuntimeError as error:
        record.exc_info = (type(error), error, error.__traceback__)
    record.exc_text = f"Traceback ... RuntimeError: {CANARY}"
    logging.getLogger("bot.x").handle(record)
    assert "Canary" not in captured.getvalue()


def test_throttled_lines_come_once_a_minute_and_count_what_was_left_out(caplog):
    now = [1000.0]
    throttled = logs.Throttled(logging.getLogger("contact_check.test"), every=60,
                               clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="contact_check.test")
    assert throttled.log("refused %s", "one") is True
    assert [throttled.log("refused %s", "again") for _ in range(500)] == [False] * 500
    now[0] += 61
    assert throttled.log("refused %s", "later") is True
    assert [r.getMessage() for r in caplog.records] == [
        "refused one",
        "refused later (500 more left out of the log since the last such line)",
    ]
    assert all(r.levelno == logging.WARNING for r in caplog.records)


def test_a_throttled_library_logger_says_one_line_a_minute(caplog):
    now = [1000.0]
    name = "contact_check.test.library_queue"
    logs.throttle_logger(name, every=60, clock=lambda: now[0])
    logs.throttle_logger(name, every=60, clock=lambda: now[0])  # a second server: no second filter
    library = logging.getLogger(name)
    caplog.set_level(logging.WARNING, logger=name)
    for depth in range(1, 200):
        library.warning("Task queue depth is %d", depth)
    now[0] += 61
    library.warning("Task queue depth is %d", 1)
    assert [r.getMessage() for r in caplog.records] == [
        "Task queue depth is 1",
        "Task queue depth is 1 (198 more left out of the log since the last such line)",
    ]
    assert len(library.filters) == 1
