"""The one escaping function for text a person typed, shown inside Slack mrkdwn.

A client's name, a third party's name, a note, a do-not-call or deny reason, a run-in's fields,
a team member's name from the policy file, and whatever someone typed after ``/contact-check``:
each is put in our own mrkdwn through ``escape``, and then shows exactly as typed, with no effect.

Slack has no escape character for its formatting, so ``escape`` does what Slack's rules allow:

- ``&``, ``<`` and ``>`` become ``&amp;``, ``&lt;`` and ``&gt;`` (Slack's own rule): no
  ``<https://evil|Open the file>`` disguised link, no ``<@U…>`` or ``<!channel>`` mention;
- each formatting character (``*``, ``_``, ``~``, `````) gets an invisible WORD JOINER (U+2060)
  on both sides. Slack formats ``*bold*`` only where the opening mark follows a boundary and
  precedes text, and the closing mark mirrors it; a mark with a non-space, non-punctuation
  character touching both sides is inside a word, like the ``_`` of ``snake_case``, and neither
  opens nor closes anything, so it shows as itself;
- what Slack would turn into a link or a mention by itself gets a WORD JOINER after its
  trigger: after ``://`` 's colon, after every ``.`` followed by a letter or digit (``evil.com``,
  ``www.x``), after ``@`` and ``#`` followed by a word character (``a@b.org``, ``@here``,
  ``#general``). The text reads the same; Slack finds no URL, address, channel or mention in it;
- a line that starts with ``>`` (a quote in Slack) starts with a WORD JOINER instead.

The WORD JOINER is a zero-width, non-breaking format character: nothing shows, nothing wraps.
Text that goes into ``plain_text`` objects (modal inputs, options, headers) is shown verbatim by
Slack and is not passed through here.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"

_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_FORMATTING = re.compile(r"[*_~`]")
_LINK_TRIGGERS = re.compile(r"(?::(?=//)|\.(?=[^\W_])|[@#](?=\w))")
_QUOTE_AT_LINE_START = re.compile(r"^(?=&gt;)", re.MULTILINE)


def escape(text: str, limit: int | None = None) -> str:
    """``text`` as typed, safe inside mrkdwn: no markup, no link, no mention, no formatting.

    ``limit``: the most characters the escaped text may take (Slack caps a text object at
    3,000); longer text is shortened, with "…", before escaping, so no entity or joiner is cut.
    """
    shown = _escaped(text)
    if limit is None or len(shown) <= limit:
        return shown
    low, high = 0, len(text)  # the longest prefix whose escaped form, with "…", fits
    while low < high:
        middle = (low + high + 1) // 2
        if len(_escaped(text[:middle])) + 1 <= limit:
            low = middle
        else:
            high = middle - 1
    return _escaped(text[:low]) + "…"


def _escaped(text: str) -> str:
    for character, entity in _ENTITIES:
        text = text.replace(character, entity)
    text = _FORMATTING.sub(lambda mark: f"{WORD_JOINER}{mark.group()}{WORD_JOINER}", text)
    text = _LINK_TRIGGERS.sub(lambda trigger: trigger.group() + WORD_JOINER, text)
    return _QUOTE_AT_LINE_START.sub(WORD_JOINER, text)
