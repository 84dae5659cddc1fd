"""Block Kit as terminal text, for the sandbox: sections, fields, context, inputs, numbered buttons.

Pure: a message or view in, lines out. Buttons are handed to ``on_button``, which answers the
number to show (the sandbox keeps what each number presses). Slack's markup is made readable:
``<@U0ANA>`` becomes ``@Ana``, links show their label, ``*bold*`` and ``_italic_`` lose their marks
(or turn bold when the terminal shows it), emoji codes show as the emoji Slack shows, escaped
``&lt;`` ``&gt;`` ``&amp;`` come back, and a person's text escaped by ``bot.mrkdwn.escape`` shows
as typed (its marks stay, its joiners go).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.mrkdwn import WORD_JOINER

OnButton = Callable[[Mapping[str, Any], str], int]  # (element, block_id) -> number shown
WIDTH = 78

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<((?:https?|mailto|tel):[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<((?:https?|mailto|tel):[^>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w])_([^_\n]+)_(?![\w])")
_JOINED_MARK = re.compile(f"{WORD_JOINER}([*_~`]){WORD_JOINER}")  # escaped: inside a word
_KEPT_MARKS = dict(zip("*_~`", "\ue000\ue001\ue002\ue003", strict=True))  # private use
_EMOJI_CODE = re.compile(r":(?=[a-z0-9_+-]*[a-z])[a-z0-9_+-]+:")
# Every emoji code the bot writes, as the emoji Slack shows for it (tests/test_sandbox.py checks
# that none is missing); a code not listed (one a person typed) is shown as typed.
EMOJI = {
    ":alarm_clock:": "\u23f0", ":bust_in_silhouette:": "\U0001f464", ":calendar:": "\U0001f4c6",
    ":construction:": "\U0001f6a7", ":grey_question:": "\u2754", ":hourglass:": "\u231b",
    ":large_green_circle:": "\U0001f7e2", ":large_yellow_circle:": "\U0001f7e1",
    ":ledger:": "\U0001f4d2", ":lock:": "\U0001f512", ":memo:": "\U0001f4dd",
    ":red_circle:": "\U0001f534", ":shushing_face:": "\U0001f92b",
    ":telephone_receiver:": "\U0001f4de", ":warning:": "\u26a0\ufe0f",
    ":white_check_mark:": "\u2705", ":white_circle:": "\u26aa", ":x:": "\u274c",
}


class Style:
    """How marked-up text is shown: plain (scripts, pipes) or with terminal bold."""

    def __init__(self, bold: bool = False):
        self.bold = bold

    def strong(self, text: str) -> str:
        return f"\x1b[1m{text}\x1b[0m" if self.bold else text


def mrkdwn(text: str, names: Mapping[str, str], style: Style | None = None) -> str:
    """Slack's markup as terminal text."""
    style = style or Style()
    text = _JOINED_MARK.sub(lambda m: _KEPT_MARKS[m.group(1)], text)
    text = _USER.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _BARE_LINK.sub(lambda m: m.group(1), text)
    text = _BOLD.sub(lambda m: style.strong(m.group(1)), text)
    text = _ITALIC.sub(lambda m: m.group(1), text)
    text = _EMOJI_CODE.sub(lambda m: EMOJI.get(m.group(0), m.group(0)), text)
    for mark, kept in _KEPT_MARKS.items():
        text = text.replace(kept, mark)
    text = text.replace(WORD_JOINER, "")
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text


def _text_of(obj: Any, names: Mapping[str, str], style: Style) -> str:
    if isinstance(obj, str):
        return mrkdwn(obj, names, style)
    if not isinstance(obj, Mapping):
        return ""
    if obj.get("type") == "plain_text":
        return str(obj.get("text", ""))
    return mrkdwn(str(obj.get("text", "")), names, style)


def _wrap(text: str, indent: str = "") -> list[str]:
    lines: list[str] = []
    for raw in text.split("\n"):
        if not raw.strip():
            lines.append(indent.rstrip())
            continue
        lead = re.match(r"\s*(?:[•\-]\s|>\s|\d+\.\s)?", raw)
        hang = " " * len(lead.group(0)) if lead else ""
        lines += textwrap.wrap(raw, WIDTH, initial_indent=indent,
                               subsequent_indent=indent + hang, break_on_hyphens=False,
                               break_long_words=False) or [indent]
    return lines


def _rich_text(block: Mapping[str, Any]) -> str:
    def walk(node: Any) -> str:
        if isinstance(node, Mapping):
            if node.get("type") == "text":
                return str(node.get("text", ""))
            if node.get("type") == "link":
                return str(node.get("text") or node.get("url", ""))
            if node.get("type") == "user":
                return "@" + str(node.get("user_id", ""))
            return "".join(walk(e) for e in node.get("elements", []))
        if isinstance(node, list):
            return "".join(walk(e) for e in node)
        return ""

    return walk(block)


def _button(element: Mapping[str, Any], block_id: str, on_button: OnButton,
            names: Mapping[str, str], style: Style) -> str | None:
    kind = element.get("type")
    if kind == "button":
        number = on_button(element, block_id)
        return f"[{number}] {_text_of(element.get('text'), names, style)}"
    if kind in ("static_select", "users_select", "conversations_select", "overflow",
                "datepicker", "timepicker", "radio_buttons", "checkboxes"):
        return f"[{_text_of(element.get('placeholder'), names, style) or kind}]"
    return None


def options_of(element: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A choice element's options in the order shown (grouped ones first, as Slack lists them)."""
    grouped = [o for g in element.get("option_groups", []) for o in g.get("options", [])]
    return grouped + list(element.get("options", []))


def input_hint(element: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """What to type for an input element: its kind, choices and the value it holds now (its
    ``initial_…``: what Enter keeps)."""
    style = Style()
    kind = element.get("type", "")
    if kind in ("static_select", "radio_buttons", "checkboxes", "multi_static_select"):
        options = options_of(element)
        listing = ", ".join(f"{i}={_text_of(o.get('text'), names, style)}"
                            for i, o in enumerate(options, 1))
        if kind in ("checkboxes", "multi_static_select"):
            chosen = _chosen(options, element.get("initial_options") or [])
            return (f"choose numbers separated by commas: {listing}; now "
                    f"{','.join(chosen) or 'none'} (- for none)")
        chosen = _chosen(options, [element["initial_option"]] if element.get("initial_option")
                         else [])
        return f"choose a number: {listing}" + (f"; now {chosen[0]}" if chosen else "")
    if kind == "datepicker":
        return "YYYY-MM-DD" + _now(element.get("initial_date"))
    if kind == "timepicker":
        return "HH:MM" + _now(element.get("initial_time"))
    if kind in ("users_select", "multi_users_select"):
        users = element.get("initial_users") or [element.get("initial_user")]
        shown = ", ".join(names.get(str(u), str(u)) for u in users if u)
        return "a first name" + _now(shown)
    hint = "text, several lines joined with ' / '" if element.get("multiline") else "text"
    initial = element.get("initial_value")
    return hint + (f", now {initial!r}; - clears it" if initial not in (None, "") else "")


def _now(value: object) -> str:
    return f", now {value}" if value not in (None, "") else ""


def _chosen(options: Sequence[Mapping[str, Any]],
            initial: Sequence[Mapping[str, Any]]) -> list[str]:
    """The numbers of the options given as initial (matched by value, as Slack matches them)."""
    values = [o.get("value") for o in initial]
    return [str(i) for i, o in enumerate(options, 1) if o.get("value") in values]


def buttons_of(message: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Every button a message offers now, with its block id."""
    found: list[tuple[str, Mapping[str, Any]]] = []
    for block in message.get("blocks") or []:
        block_id = str(block.get("block_id", ""))
        elements = [block.get("accessory") or {}, *(block.get("elements") or [])]
        found += [(block_id, e) for e in elements
                  if isinstance(e, Mapping) and e.get("type") == "button"]
    return found


def render_blocks(blocks: Sequence[Mapping[str, Any]], names: Mapping[str, str],
                  on_button: OnButton, style: Style | None = None) -> list[str]:
    """Every block as lines; buttons numbered through ``on_button``."""
    style = style or Style()
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        block_id = str(block.get("block_id", ""))
        if kind == "header":
            title = _text_of(block.get("text"), names, style)
            lines += [style.strong(title.upper()), "=" * min(len(title), WIDTH)]
        elif kind == "section":
            if block.get("text"):
                lines += _wrap(_text_of(block["text"], names, style))
            for field in block.get("fields", []):
                lines += _wrap(_text_of(field, names, style).replace("\n", ": ", 1), "  ")
            accessory = block.get("accessory")
            if accessory:
                shown = _button(accessory, block_id, on_button, names, style)
                if shown:
                    lines.append("    " + shown)
        elif kind == "context":
            parts = [_text_of(e, names, style) for e in block.get("elements", [])
                     if e.get("type") in ("mrkdwn", "plain_text")]
            lines += _wrap(" · ".join(parts), "  ~ ")
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            buttons = [s for e in block.get("elements", [])
                       if (s := _button(e, block_id, on_button, names, style))]
            if buttons:
                lines += _wrap("   ".join(buttons), "  ")
        elif kind == "input":
            label = _text_of(block.get("label"), names, style)
            optional = " (optional)" if block.get("optional") else ""
            lines.append(f"  {label}{optional}: <{input_hint(block.get('element', {}), names)}>")
        elif kind == "rich_text":
            lines += _wrap(_rich_text(block))
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text', '')}]")
    return lines


def render_message(message: Mapping[str, Any], names: Mapping[str, str], on_button: OnButton,
                   style: Style | None = None) -> list[str]:
    """A message: its blocks, or its text when it has none."""
    blocks = message.get("blocks") or []
    if blocks:
        return render_blocks(blocks, names, on_button, style)
    return _wrap(mrkdwn(str(message.get("text", "")), names, style))


def render_view(view: Mapping[str, Any], names: Mapping[str, str], on_button: OnButton,
                style: Style | None = None) -> list[str]:
    """A modal or Home tab: its title, blocks and the submit it offers."""
    style = style or Style()
    lines: list[str] = []
    title = _text_of(view.get("title"), names, style)
    if title:
        lines += [style.strong(title), "~" * min(len(title), WIDTH)]
    lines += render_blocks(view.get("blocks") or [], names, on_button, style)
    if view.get("type") == "modal" and any(b.get("type") == "input"
                                           for b in view.get("blocks") or []):
        submit = _text_of(view.get("submit"), names, style) or "Submit"
        lines.append(f"  ({submit}: fill the fields below; type `cancel` to close the modal)")
    return lines


def frame(title: str, lines: Sequence[str]) -> list[str]:
    """A titled box around a rendered message, so replies, DMs and modals are told apart."""
    head = f"┌─ {title} "
    return [head + "─" * max(3, WIDTH - len(head)), *("│ " + line if line else "│"
                                                       for line in lines), "└" + "─" * 20]
