"""``python -m bot.healthcheck``: exit 0 when the bot on this machine answers ``/healthz`` with
200, else 1. The container's ``HEALTHCHECK`` runs it (a slim image has no curl).

It asks the address ``serve`` listens on (``HOST``; loopback when that is every interface) at
``PORT``, with the same defaults as ``serve``; it reads nothing else, so it needs no secrets.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

from bot.config import DEFAULT_HOST, DEFAULT_PORT

TIMEOUT_SECONDS = 5
HEALTH_PATH = "/healthz"  # bot.server.HEALTH_PATH (not imported: this runs every 30 s, kept light)
_EVERY_INTERFACE = {"0.0.0.0", "::", ""}  # noqa: S104 - compared, not bound


def health_url(environ: os._Environ[str] | dict[str, str]) -> str:
    host = environ.get("HOST", DEFAULT_HOST).strip()
    host = "127.0.0.1" if host in _EVERY_INTERFACE else host
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    port = environ.get("PORT", "").strip() or str(DEFAULT_PORT)
    return f"http://{host}:{port}{HEALTH_PATH}"


def main() -> int:
    url = health_url(os.environ)
    try:
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
        with direct.open(url, timeout=TIMEOUT_SECONDS) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:  # 503: unhealthy, and the body says why
        status = error.code
        print(f"{url}: {status} {error.read(2000).decode('utf-8', 'replace')}", file=sys.stderr)
    except OSError as error:
        print(f"{url}: not answering ({error})", file=sys.stderr)
        return 1
    return 0 if status == 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
