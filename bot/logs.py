"""Logging that cannot leak client data: ids in, tracebacks reduced to where, never what.

Contact Check's own log lines carry ids, codes and outcomes only (a rule of the house). What the
house does not write can still leak: an exception's message may quote a SQL statement's
parameters or a Slack payload, a traceback's source lines may show values, and the Slack
libraries log request details at their discretion. So every line passes through
``PhiSafeFormatter``:

- a traceback becomes the exception's type and its frames (file, line, function): no message, no
  source text, no chained exception's message;
- lines from our own loggers (``bot``, ``handlers``, ``storage``, ``contact_check``) are kept;
- lines from other libraries are kept when they come from ones known not to log request data
  (the WSGI server, the scheduler); from any other library, only the logger name and level remain.

``Throttled`` keeps what strangers can trigger (refused requests) to one line a minute;
``throttle_logger`` does the same for a library's line that any traffic can cause (the WSGI
server's "Task queue depth is N", one per queued request under a flood).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

OUR_LOGGERS = ("bot", "handlers", "storage", "contact_check")
SAFE_LIBRARY_LOGGERS = ("waitress", "apscheduler", "alembic.runtime.migration")
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Chatty at INFO (a line per job run, every two seconds): only their warnings are worth a line.
QUIET_LOGGERS = ("apscheduler",)
LOG_FORMAT_VARIABLE = "LOG_FORMAT"
LOG_FORMATS = ("text", "json")
# Alembic says these two at INFO on every start, whether or not anything migrates; its
# "Running upgrade ..." lines stay.
_ALEMBIC_NOISE = ("Context impl ", "Will assume ")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _is_under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def frames_only(error: BaseException) -> str:
    """Where an exception happened, without what it said: type, then file/line/function."""
    lines = [f"{type(error).__module__}.{type(error).__qualname__} (message withheld)"]
    lines += [
        f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}'
        for frame in traceback.extract_tb(error.__traceback__)
    ]
    cause = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    if cause is not None:
        lines.append("caused by " + frames_only(cause))
    return "\n".join(lines)


class PhiSafeFormatter(logging.Formatter):
    def __init__(self, fmt: str = FORMAT) -> None:
        super().__init__(fmt)

    def format(self, record: logging.LogRecord) -> str:
        # A copy, so that text another handler cached on the record (exc_text) is never reused.
        fields = {**record.__dict__, "exc_text": None, "stack_info": record.stack_info}
        known = _is_under(record.name, OUR_LOGGERS) or _is_under(record.name, SAFE_LIBRARY_LOGGERS)
        if not known:
            fields |= {"msg": "(library message withheld: it may hold request data)", "args": None}
        return super().format(logging.makeLogRecord(fields))

    def formatException(self, ei: ExcInfo | tuple[None, None, None]) -> str:
        # (None, None, None): `logger.exception` called with no exception being handled
        return "NoneType: None" if ei[1] is None else frames_only(ei[1])

    def formatStack(self, stack_info: str) -> str:
        return "(stack withheld)"


class JsonFormatter(PhiSafeFormatter):
    """``LOG_FORMAT=json``: one JSON object a line, with what ``PhiSafeFormatter`` keeps.

    Keys: ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message``; ``error`` with the
    frames of an exception (never its message); and the ``fields`` a line was logged with
    (``extra={"fields": {...}}``: ids, kinds, outcomes and figures, never client data), from our
    own loggers only.
    """

    def __init__(self) -> None:
        super().__init__("%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None,
                                      "stack_info": None})
        line: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": super().format(safe),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and _is_under(record.name, OUR_LOGGERS):
            line.update({k: v for k, v in fields.items() if k not in line})
        if record.exc_info and record.exc_info[1] is not None:
            line["error"] = frames_only(record.exc_info[1])
        return json.dumps(line, ensure_ascii=False, default=str)


def log_format(environ: dict[str, str] | None = None) -> str:
    """``LOG_FORMAT`` (``text`` or ``json``); ValueError naming the variable otherwise."""
    value = (environ if environ is not None else os.environ).get(LOG_FORMAT_VARIABLE, "")
    value = value.strip().lower() or "text"
    if value not in LOG_FORMATS:
        raise ValueError(f"{LOG_FORMAT_VARIABLE} must be text or json (default text), "
                         f"not {value[:20]!r}")
    return value


def _not_alembic_noise(record: logging.LogRecord) -> bool:
    return not (record.name == "alembic.runtime.migration"
                and str(record.msg).startswith(_ALEMBIC_NOISE))


def configure(level: int = logging.INFO, stream: TextIO | None = None,
              handler: logging.Handler | None = None, fmt: str | None = None) -> logging.Handler:
    """Route every log line through ``PhiSafeFormatter`` (stderr unless a handler is given);
    ``fmt`` ``json`` for ``JsonFormatter`` (default: ``LOG_FORMAT``, text when it is invalid:
    the settings check reports it)."""
    if fmt is None:
        try:
            fmt = log_format()
        except ValueError:
            fmt = "text"
    handler = handler or logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else PhiSafeFormatter())
    handler.addFilter(_not_alembic_noise)
    root = logging.getLogger()
    root.handlers.clear()
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return handler


class _OncePer:
    """Lets one thing through every ``every`` seconds and counts the ones it held back."""

    def __init__(self, every: float, clock: Callable[[], float]):
        self.every, self.clock = every, clock
        self._lock = threading.Lock()
        self._next_at: float | None = None
        self._left_out = 0

    def admit(self) -> int | None:
        """None when one went through less than ``every`` seconds ago (this one is counted as
        left out); otherwise how many were left out since the last one went through."""
        now = self.clock()
        with self._lock:
            if self._next_at is not None and now < self._next_at:
                self._left_out += 1
                return None
            left_out, self._left_out = self._left_out, 0
            self._next_at = now + self.every
        return left_out


def _left_out_note(left_out: int) -> str:
    return f" ({left_out} more left out of the log since the last such line)" if left_out else ""


class Throttled:
    """One log line per ``every`` seconds at most, for something anyone can make happen (a
    request refused before it is known to come from Slack): a flood of them cannot flood the log.
    The first is logged at once; the next line after a quiet spell says how many were left out.
    """

    def __init__(self, logger: logging.Logger, level: int = logging.WARNING, every: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        self.logger, self.level = logger, level
        self._gate = _OncePer(every, clock)

    def log(self, message: str, *args: object) -> bool:
        """Log ``message % args`` unless a line went out less than ``every`` seconds ago; True
        when it was logged."""
        left_out = self._gate.admit()
        if left_out is None:
            return False
        self.logger.log(self.level, message + _left_out_note(left_out), *args)
        return True


class _ThrottleFilter(logging.Filter):
    """``Throttled`` for a logger we do not call ourselves: one record every ``every`` seconds."""

    def __init__(self, every: float, clock: Callable[[], float]):
        super().__init__()
        self._gate = _OncePer(every, clock)

    def filter(self, record: logging.LogRecord) -> bool:
        left_out = self._gate.admit()
        if left_out is None:
            return False
        record.msg = f"{record.msg}{_left_out_note(left_out)}"
        return True


def throttle_logger(name: str, every: float = 60.0,
                    clock: Callable[[], float] = time.monotonic) -> None:
    """At most one line every ``every`` seconds from logger ``name`` (once per logger: calling
    again changes nothing)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, _ThrottleFilter) for f in logger.filters):
        logger.addFilter(_ThrottleFilter(every, clock))
