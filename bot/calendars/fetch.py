"""Fetching a feed: its secret URL (from the environment) or a local file, conditionally.

- HTTPS only, except to this machine (``bot.calendars.urls``); every redirect is checked the
  same way and at most ``MAX_REDIRECTS`` are followed.
- A conditional GET (``If-None-Match`` / ``If-Modified-Since``) with the validators of the last
  response; a 304 costs nothing more. A file is re-read only when its size or time changed.
- A ``timeout`` on connecting and on every read, and at most ``MAX_BYTES`` read.

The URL is a secret: no message, log line or exception from here ever contains it (problems are
``FeedError`` with a text of our own; library exceptions are not chained). Logs name the feed.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from http.client import HTTPMessage
from typing import IO

from bot.calendars.urls import https_form, url_problem
from bot.policy.clinic import CalendarFeed

MAX_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 3
TIMEOUT = 20.0  # seconds
_CHUNK = 256 * 1024
USER_AGENT = "ContactCheck-calendar/1"


class FeedError(Exception):
    """The feed could not be read; the message says why, never with the URL."""


@dataclass(frozen=True)
class Fetched:
    """``body`` None: not modified since the validators given."""

    body: bytes | None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.body is None


def fetch_feed(feed: CalendarFeed, *, environ: Mapping[str, str] = os.environ,
               etag: str | None = None, last_modified: str | None = None,
               timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES) -> Fetched:
    if feed.file is not None:
        return _read_file(feed.file, etag, max_bytes)
    assert feed.url_env is not None
    url = environ.get(feed.url_env, "").strip()
    if not url:
        raise FeedError(f"the environment variable {feed.url_env} is not set")
    problem = url_problem(url)
    if problem is not None:
        raise FeedError(f"the environment variable {feed.url_env} {problem}")
    return _get(https_form(url), etag, last_modified, timeout, max_bytes)


# -- a local file ------------------------------------------------------------------------------


def _read_file(path: str, etag: str | None, max_bytes: int) -> Fetched:
    try:
        status = os.stat(path)
        stamp = f"file:{status.st_size}:{status.st_mtime_ns}"
        if etag == stamp:
            return Fetched(None, stamp)
        if status.st_size > max_bytes:
            raise FeedError(f"the file is larger than {max_bytes // (1024 * 1024)} MB")
        with open(path, "rb") as handle:
            return Fetched(handle.read(max_bytes + 1), stamp)
    except FileNotFoundError:
        raise FeedError(f"there is no file at {path}") from None
    except IsADirectoryError:
        raise FeedError(f"{path} is a directory, not an .ics file") from None
    except PermissionError:
        raise FeedError(f"cannot read {path}: permission denied") from None
    except OSError as error:
        raise FeedError(f"cannot read {path}: {error.strerror or 'input/output error'}") from None


# -- HTTP(S) -------------------------------------------------------------------------------------


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows at most ``MAX_REDIRECTS``, each to an address the first one could have been."""

    max_redirections = MAX_REDIRECTS
    max_repeats = 1

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: HTTPMessage, newurl: str) -> urllib.request.Request | None:
        if url_problem(newurl) is not None:
            raise FeedError(f"the feed redirected (HTTP {code}) to an address that is not "
                            "https://; not followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_Redirects)


def _get(url: str, etag: str | None, last_modified: str | None, timeout: float,
         max_bytes: int) -> Fetched:
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    # url_problem admitted only https (or http to loopback) before we got here
    request = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise _too_big(max_bytes)
            body = _read_capped(response, max_bytes)
            return Fetched(body, _header(response, "ETag"), _header(response, "Last-Modified"))
    except FeedError:
        raise
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return Fetched(None, etag, last_modified)
        raise FeedError(_http_problem(error.code)) from None
    except urllib.error.URLError as error:
        raise FeedError(_connection_problem(error.reason, timeout)) from None
    except TimeoutError:
        raise FeedError(f"the feed did not answer within {timeout:g} s") from None
    except (http.client.HTTPException, ConnectionError, ssl.SSLError, OSError) as error:
        raise FeedError(f"the connection failed ({type(error).__name__})") from None
    except ValueError:
        raise FeedError("the address in the environment variable cannot be fetched") from None


def _header(response: http.client.HTTPResponse, name: str) -> str | None:
    value = response.headers.get(name)
    return value[:200] if value else None


def _read_capped(response: http.client.HTTPResponse, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise _too_big(max_bytes)
        chunks.append(chunk)


def _too_big(max_bytes: int) -> FeedError:
    return FeedError(f"the feed is larger than {max_bytes // (1024 * 1024)} MB; not read")


def _http_problem(code: int) -> str:
    if code in (401, 403):
        return (f"the server refused the feed (HTTP {code}); the secret URL may have been "
                "reset: copy the new one into the environment variable")
    if code in (404, 410):
        return (f"the server has no feed at that address (HTTP {code}); the secret URL may "
                "have been reset")
    if 300 <= code < 400:
        return f"the feed redirected more than {MAX_REDIRECTS} times (HTTP {code}); not followed"
    if code >= 500:
        return f"the calendar's server failed (HTTP {code}); it is tried again"
    return f"the server answered HTTP {code}"


def _connection_problem(reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"the feed did not answer within {timeout:g} s"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return "the server's certificate could not be verified"
    if isinstance(reason, socket.gaierror):
        return "the feed's host name could not be found"
    if isinstance(reason, ConnectionRefusedError):
        return "the connection was refused"
    return f"the feed could not be reached ({type(reason).__name__})"
