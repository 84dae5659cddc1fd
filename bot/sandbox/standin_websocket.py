"""The server side of a WebSocket (RFC 6455), on the standard library, for the Slack stand-in.

Slack's Socket Mode speaks WebSocket, so the stand-in (``bot.sandbox.standin``) serves one on its
own HTTP port. This module holds only the protocol: checking the opening handshake and computing its
``Sec-WebSocket-Accept``, reading whole messages (masked client frames, fragmentation, ping
answered with pong, the closing handshake) and writing unmasked server frames. It is written on
the standard library so the stand-in, which the sandbox ships at run time, needs no dependency
for it. It serves the stand-in's few small JSON messages, not arbitrary traffic: a message over
``MAX_MESSAGE_BYTES`` closes the connection with 1009.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import socket
import struct
import threading
from collections.abc import Mapping
from email.message import Message
from io import BufferedIOBase

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
MAX_MESSAGE_BYTES = 1 << 20

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_NO_STATUS = 1005  # recorded, never sent: the peer's close frame had no code
CLOSE_ABNORMAL = 1006  # recorded, never sent: the connection ended without a closing handshake
CLOSE_INVALID_DATA = 1007
CLOSE_TOO_BIG = 1009


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key``."""
    digest = hashlib.sha1((key.strip() + GUID).encode("ascii")).digest()  # noqa: S324 - the RFC's
    return base64.b64encode(digest).decode("ascii")


def handshake_problem(method: str, headers: Mapping[str, str] | Message[str, str]) -> str | None:
    """Why an HTTP request is not a valid WebSocket opening handshake, or None when it is."""
    if method != "GET":
        return "the opening handshake must be a GET"
    if headers.get("Upgrade", "").strip().lower() != "websocket":
        return "Upgrade: websocket is missing"
    if "upgrade" not in [t.strip().lower() for t in headers.get("Connection", "").split(",")]:
        return "Connection: Upgrade is missing"
    if headers.get("Sec-WebSocket-Version", "").strip() != "13":
        return "Sec-WebSocket-Version must be 13"
    try:
        key = base64.b64decode(headers.get("Sec-WebSocket-Key", "").strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 16:
        return "Sec-WebSocket-Key must be 16 bytes in base64"
    return None


def encode_frame(opcode: int, payload: bytes = b"", *, fin: bool = True,
                 mask: bytes | None = None) -> bytes:
    """One frame. Servers send unmasked frames; give ``mask`` (4 bytes) to build a client's."""
    head = bytes([(0x80 if fin else 0) | opcode])
    mask_bit = 0x80 if mask is not None else 0
    length = len(payload)
    if length < 126:
        head += bytes([mask_bit | length])
    elif length < 1 << 16:
        head += bytes([mask_bit | 126]) + struct.pack("!H", length)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", length)
    if mask is None:
        return head + payload
    return head + mask + _unmask(payload, mask)


def _unmask(data: bytes, key: bytes) -> bytes:
    """XOR with the 4-byte masking key (the same operation masks and unmasks)."""
    if not data:
        return data
    stream = (key * (len(data) // 4 + 1))[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(len(data), "big")


class _Closed(Exception):
    """The connection ended: the peer closed it, or it broke the protocol (``code``)."""

    def __init__(self, code: int | None = None, reason: str = ""):
        super().__init__(reason)
        self.code = code
        self.reason = reason


class WebSocket:
    """A server-side connection after its handshake.

    ``receive()`` runs in one thread (the connection's); ``send_text`` and ``close`` may be called
    from any thread. ``close_code`` is the code of the closing handshake once it is over (the
    peer's, or the one this side sent when the peer broke the protocol).
    """

    def __init__(self, reader: BufferedIOBase, sock: socket.socket):
        self._reader = reader
        self._sock = sock
        self._send_lock = threading.Lock()
        self._close_sent = False
        self.closed = False
        self.close_code: int | None = None
        self.close_reason = ""

    # -- sending -------------------------------------------------------------------------------

    def _send(self, opcode: int, payload: bytes) -> bool:
        with self._send_lock:
            if self._close_sent:
                return False
            if opcode == OP_CLOSE:
                self._close_sent = True
            try:
                self._sock.sendall(encode_frame(opcode, payload))
            except OSError:
                self.closed = True
                return False
            return True

    def send_text(self, text: str) -> bool:
        """Send one text message; False when the connection is already closing or gone."""
        return self._send(OP_TEXT, text.encode("utf-8"))

    def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Start the closing handshake; ``receive`` returns None once the peer answers (or goes)."""
        self._send(OP_CLOSE, struct.pack("!H", code) + reason.encode("utf-8")[:120])

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (a broken network)."""
        self.closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    # -- receiving -----------------------------------------------------------------------------

    def receive(self) -> tuple[int, bytes] | None:
        """The next whole message as (OP_TEXT or OP_BINARY, bytes); None once closed.

        Pings are answered and pongs dropped on the way. A peer that breaks the protocol
        (unmasked frame, reserved bits, bad fragmentation, invalid UTF-8, oversized message) is
        sent a close frame with the matching code and the connection ends.
        """
        if self.closed:
            return None
        try:
            return self._read_message()
        except _Closed as closed:
            if closed.code is not None and not self._close_sent:
                self.close(closed.code, closed.reason)
            if self.close_code is None:
                self.close_code = closed.code or CLOSE_ABNORMAL
                self.close_reason = closed.reason
            self.closed = True
            self.abort()
            return None

    def _read_exactly(self, count: int) -> bytes:
        try:
            data = self._reader.read(count) if count else b""
        except OSError:
            data = b""
        if len(data) < count:
            raise _Closed(None, "the connection ended")
        return data

    def _read_message(self) -> tuple[int, bytes]:
        kind: int | None = None
        parts: list[bytes] = []
        size = 0
        while True:
            first, second = self._read_exactly(2)
            fin, opcode = bool(first & 0x80), first & 0x0F
            if first & 0x70:
                raise _Closed(CLOSE_PROTOCOL_ERROR, "reserved bits set")
            if not second & 0x80:
                raise _Closed(CLOSE_PROTOCOL_ERROR, "client frames must be masked")
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read_exactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read_exactly(8))
            if opcode >= 0x8 and (not fin or length > 125):
                raise _Closed(CLOSE_PROTOCOL_ERROR, "control frames must be whole and short")
            if size + length > MAX_MESSAGE_BYTES:
                raise _Closed(CLOSE_TOO_BIG, "message too big")
            key = self._read_exactly(4)
            data = _unmask(self._read_exactly(length), key)
            if opcode == OP_PING:
                self._send(OP_PONG, data)
                continue
            if opcode == OP_PONG:
                continue
            if opcode == OP_CLOSE:
                self._peer_closed(data)
            if opcode == OP_CONTINUATION:
                if kind is None:
                    raise _Closed(CLOSE_PROTOCOL_ERROR, "continuation without a message")
            elif opcode in (OP_TEXT, OP_BINARY):
                if kind is not None:
                    raise _Closed(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one")
                kind = opcode
            else:
                raise _Closed(CLOSE_PROTOCOL_ERROR, f"unknown opcode {opcode:#x}")
            parts.append(data)
            size += length
            if fin:
                message = b"".join(parts)
                if kind == OP_TEXT:
                    try:
                        message.decode("utf-8")
                    except UnicodeDecodeError:
                        raise _Closed(CLOSE_INVALID_DATA, "text is not UTF-8") from None
                return kind, message

    def _peer_closed(self, data: bytes) -> None:
        """The peer's close frame: answer it (echoing its code) unless this side closed first."""
        if len(data) == 1:
            raise _Closed(CLOSE_PROTOCOL_ERROR, "close frame of one byte")
        code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
        reason = data[2:].decode("utf-8", errors="replace")
        self.close_code, self.close_reason = code or CLOSE_NO_STATUS, reason
        if not self._close_sent:
            self.close(code or CLOSE_NORMAL)
        raise _Closed(None, reason)
