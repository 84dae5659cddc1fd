"""What a feed's address may be: HTTPS, or plain HTTP to this machine only (tests, a local proxy).

Pure. The messages never repeat the address: it is a secret (it opens the clinic's calendar).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def https_form(url: str) -> str:
    """``webcal://`` (what calendar apps hand out) is HTTPS by another name."""
    url = url.strip()
    return "https://" + url[len("webcal://"):] if url.lower().startswith("webcal://") else url


def url_problem(url: str) -> str | None:
    """None when ``url`` may be fetched; else what is wrong with it, without quoting it."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return "is not a web address"
    if parts.scheme not in ("https", "http", "webcal") or not host:
        return "is not an https:// address"
    if parts.scheme == "http" and not is_loopback(host):
        return "uses plain http://; only https:// is accepted (http only to this machine)"
    return None
