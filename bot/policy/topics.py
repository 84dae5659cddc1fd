"""Guidance topics (`/contact-check topic NAME`): the clinic's contact protocol, in Slack mrkdwn.

Pure: the texts are fixed; ``topic_text`` fills in what comes from the clinic's policy (its
emergency line, escaped for mrkdwn, and the phone-coaching approver). Every text stays under
``MAX_TOPIC_CHARS`` so it fits one Slack section block.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.policy.clinic import ClinicPolicy

MAX_TOPIC_CHARS = 2500


@dataclass(frozen=True)
class Topic:
    """A title and a body; the body may use ``{emergency}`` and ``{coaching_approver}``."""

    title: str
    body: str


TOPICS: dict[str, Topic] = {
    "third-party": Topic(
        "Talking with someone other than the client",
        "• Speak about a client with someone else (family, partner, another provider) *only* "
        "when the client's *written* permission naming that person is on file. A verbal OK "
        "is not enough: ask the client to sign a release first.\n"
        "• Without it, you cannot confirm or deny that the person is a client. You may listen "
        "to what the caller wants to tell you, but share nothing back.\n"
        "• With it, share only what the permission covers and what the call needs.\n"
        "• Check the client's card (`/contact-check CODE`) before any such call, and document "
        "what was shared and with whom.\n"
        "• If someone's safety is at risk, follow the clinic's emergency protocol: {emergency}",
    ),
    "someone-else-answered": Topic(
        "When someone else answers the phone",
        '• Ask for the client by first name only: _"Hi, is Maria there?"_\n'
        '• If they are not available: _"No problem, no message. I\'ll try again later."_\n'
        "• Do not say the clinic's name, your role or why you are calling, even if asked. "
        "If pressed, give only your first name and say you'll try again.\n"
        "• Do not leave a message or a callback number with the person who answered.\n"
        "• If the person says they are the client, verify their identity (for example their "
        "date of birth) before discussing anything.",
    ),
    "prospect": Topic(
        "Potential clients",
        "A potential client is anyone who contacted the clinic and is not yet in care, or a "
        "client with no consent on file.\n"
        "• Return their call using their first name only. Do not say the clinic's name or the "
        "reason for the call on a voicemail or to anyone else who answers.\n"
        "• If you are away, use the first-name-only callback script and say when you are back "
        "in the office.\n"
        "• Verify who you are speaking with before discussing anything, then ask whether it "
        "is a good time to talk.\n"
        "• Record their contact consent (`/contact-check consent CODE`) as soon as they "
        "become a client.",
    ),
    "former-client": Topic(
        "Former clients",
        "• Contact former clients *only* with their consent. No newsletters, announcements, "
        "holiday cards or check-in calls without it.\n"
        "• If a former client reaches out, respond as you would to a potential client until "
        "their file is reopened and their consent is confirmed.\n"
        "• Their consent on file still applies: numbers marked do-not-call stay do-not-call.\n"
        "• Document any contact in their closed file.",
    ),
    "intake-incomplete": Topic(
        "When an intake was started but not finished",
        "• *Never reach out* to someone whose intake is incomplete: no calls, voicemails, "
        "emails or letters to follow up. Continuing is their choice.\n"
        "• If they contact the clinic again, respond as you would to any potential client.\n"
        "• Keep what they gave only as the clinic's records policy requires; do not add them "
        "to any mailing list.",
    ),
    "voicemail-greeting": Topic(
        "Your voicemail greeting",
        "Your greeting must tell callers what to do in an emergency: the clinic's emergency "
        "line and 911. Keep it short, give your first name only, and say when calls are "
        "returned. For example:\n"
        "> _\"You've reached Ana. I'm not available right now. Please leave your first name "
        "and a number, and I'll return your call within one business day. {emergency}\"_\n"
        "• Do not invite callers to leave details about their situation.\n"
        "• Remember that others may hear messages on a shared or speaker phone.",
    ),
    "run-ins": Topic(
        "Running into a client outside the office",
        "• *Let the client lead.* Do not greet them first; if they greet you, respond warmly "
        "and briefly.\n"
        "• Keep it light: no talk about treatment, and do not introduce them to the people "
        "you are with (or ask who they are with).\n"
        "• Document the run-in (`/contact-check runin CODE`).\n"
        "• Revisit it at the next session: how it felt for the client and how they would like "
        "to handle it next time.",
    ),
    "between-sessions": Topic(
        "Contact between sessions",
        "• No calls between sessions *except logistics*: scheduling, cancellations, "
        "paperwork, payments.\n"
        "• Clinical matters wait for the session. If a client raises one on a logistics call, "
        "acknowledge it and bring it to the next session.\n"
        "• DBT phone coaching is the only exception, and only once it is approved "
        "(see `/contact-check topic phone-coaching`).\n"
        "• In a crisis, direct the client to emergency help: {emergency}",
    ),
    "phone-coaching": Topic(
        "DBT phone coaching",
        "• Phone coaching is offered *only* with the approver's sign-off: {coaching_approver}. "
        "Ask with `/contact-check coaching CODE` and wait for the decision.\n"
        "• Only for clients in active treatment who take phone calls: never for a potential "
        "client, a client whose intake is not complete, a former client, a closed file, or a "
        "client who said no to calls.\n"
        "• Once approved, keep calls brief and focused on using skills in the moment; it is "
        "not therapy by phone.\n"
        "• Follow your team's coaching agreement: the hours you are available, limits, and "
        "what happens after self-harm.\n"
        "• Bring each coaching call to the next session and document it.\n"
        "• In an emergency: {emergency}",
    ),
}


def topic_names() -> tuple[str, ...]:
    """Every topic name, in the order the help lists them."""
    return tuple(TOPICS)


def topic_text(name: str, policy: ClinicPolicy) -> str:
    """The topic as Slack mrkdwn: a bold title, then the body filled in from ``policy``.

    Raises ``KeyError`` naming the known topics when ``name`` is not one of them.
    """
    topic = TOPICS.get(name)
    if topic is None:
        raise KeyError(f"no topic named {name!r}; the topics are: {', '.join(topic_names())}")
    body = topic.body.format_map(
        {
            "emergency": _escape(policy.clinic.emergency),
            "coaching_approver": _coaching_approver(policy),
        }
    )
    return f"*{topic.title}*\n{body}"


def _escape(text: str) -> str:
    """Slack mrkdwn control characters in text that comes from the policy file."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _coaching_approver(policy: ClinicPolicy) -> str:
    approver = policy.approvals.phone_coaching
    if approver is None:
        return "nobody is named yet in the clinic's policy, so ask your admin"
    return f"<@{approver}>"
