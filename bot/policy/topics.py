"""Guidance topics (`/contact-check topic NAME`): the clinic's contact protocol, as fixed texts.

Pure data: each topic's title and body, with placeholders for what comes from the clinic's
policy (its emergency line, its after-hours contact and call-back rules, the phone-coaching
approver). Filling them in for Slack, escaped, and keeping each under one block's size is
presentation: ``bot.slack_ui.topics``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """A title and a body; the body may use the placeholders of
    ``bot.slack_ui.topics.fill_ins``."""

    title: str
    body: str


TOPICS: dict[str, Topic] = {
    "third-party": Topic(
        "Talking with someone other than the client",
        "• Speak about a client with someone else (family, partner, another provider) *only* "
        "when the client's *written* permission naming that person is on file. A verbal OK "
        "is not enough: ask the client to sign a release first.\n"
        "• Without it, if they call or email about the client: hear their concern, but say "
        "you can neither confirm nor deny that anyone is a client, so you cannot answer their "
        "questions. If they fear for someone's safety, you may give general recommendations, "
        "never anything about the client.\n"
        "• If they answer the client's phone, don't say who you are and leave no message "
        "(`/contact-check topic someone-else-answered`).\n"
        "• With it, and only with the person it names, you may say who you are; share only "
        "what the permission covers and what the call needs. The client's card shows the "
        "treating team who is named.\n"
        "• Mind the mail: a return address, a note after a missed appointment or a card can "
        "tell whoever collects the post. Send nothing the client has not agreed to.\n"
        "• Check the client's card (`/contact-check CODE`) before any such call, and document "
        "what was shared and with whom.\n"
        "• If the caller says someone's safety is at risk, tell them: _\"{emergency}\"_ Then "
        "follow the clinic's emergency protocol.",
    ),
    "someone-else-answered": Topic(
        "When someone else answers the phone",
        '• Ask for the client by first name only: _"Hi, is Maria there?"_\n'
        '• Leave no message: _"No, no message, thank you. I\'ll try again."_\n'
        '• If asked who is calling: _"I\'m sorry, I can\'t say who this is, but thank you. '
        "I'll try again.\"_ No name, not even your first name; no clinic, role, number or "
        "reason, however often they ask.\n"
        "• The one exception: a person the client named in *written* permission. With them "
        "alone you may say who you are; the client's card shows the treating team who it is.\n"
        "• If the person says they are the client, verify their identity (for example their "
        "date of birth) before saying who you are or discussing anything.",
    ),
    "prospect": Topic(
        "Potential clients",
        "A potential client is anyone who contacted the clinic and is not yet in care, or a "
        "client with no consent on file.\n"
        "• Return their call with your first name only. Do not say the clinic's name or the "
        "reason for the call on a voicemail or to anyone else who answers.\n"
        "• If you miss them, leave the first-name-only callback script: sorry to have missed "
        "them, and when you are back in the office.\n"
        "• Give your direct line, never the clinic's main number: calling it back would reveal "
        "the clinic.\n"
        "• Verify who you are speaking with before discussing anything, then ask whether it "
        "is a good time to talk.\n"
        "• As soon as they become a client, ask and record (`/contact-check consent CODE`) "
        "whether you may call, where they prefer and where never, how early and late, and "
        "where a message may be left; tell them voicemail is never fully private.",
    ),
    "former-client": Topic(
        "Former clients",
        "• Contact former clients *only* with their consent, and only after careful thought "
        "and consultation. No newsletters, announcements, holiday cards or check-in calls "
        "without it.\n"
        "• First ask yourself _whose need am I meeting?_ Staying in touch can foster "
        "dependence or undermine the independence therapy built.\n"
        "• No dual relationships: a friendship or other personal tie with a former client is "
        "never _no big deal_. The power stays lopsided, and it is the former client who lacks it.\n"
        "• Mail can out them: a return address, a card or a note may be seen by a partner, "
        "or a neighbour collecting the post. Send nothing they have not agreed to.\n"
        "• If a former client reaches out, respond as you would to a potential client until "
        "their file is reopened and their consent is confirmed.\n"
        "• Their consent on file still applies: numbers marked do-not-call stay do-not-call.\n"
        "• Document any contact in their closed file.",
    ),
    "intake-incomplete": Topic(
        "When an intake was started but not finished",
        "• *Never reach out* to someone whose intake is incomplete: no calls, texts, "
        "voicemails, emails or letters to follow up. Continuing is their choice.\n"
        "• You cannot know why they stopped: someone may have walked in on them, or their "
        "privacy was interrupted, or they changed their mind. Contact could put them at risk.\n"
        "• This changes only once they have been through the clinic's informed consent.\n"
        "• If they contact the clinic again, respond as you would to any potential client.\n"
        "• Keep what they gave only as the clinic's records policy requires; do not add them "
        "to any mailing list.",
    ),
    "voicemail-greeting": Topic(
        "Your voicemail greeting",
        "Your greeting tells callers to hang up and dial 911 (or the local emergency number) "
        "in an emergency, and when their call will be returned, as the clinic's call-back "
        "policy says. Give your first name only. For example:\n"
        "> _\"You've reached Ana. I'm not available right now. {emergency}{after_hours} Please "
        "leave your first name and a number. {callback_promise}\"_\n"
        "{after_hours_missing}"
        "• Do not invite callers to leave details about their situation.\n"
        "• Remember that others may hear messages on a shared or speaker phone.",
    ),
    "run-ins": Topic(
        "Running into a client outside the office",
        "• *Plan ahead:* put your run-in policy in writing in the intake paperwork and go "
        "through it with each client: a run-in can happen, and this is what you will do.\n"
        "• *Don't hide.* Avoiding a client you have seen is not the answer.\n"
        "• *Let the client lead.* Never speak first. If they greet you, follow how they "
        "introduce you (a colleague, an old friend) and take no offence at their choice.\n"
        "• Keep it light: small talk is fine, treatment is not. Do not introduce them to the "
        "people you are with, or ask who they are with.\n"
        "• If they push into therapy, set a firm boundary: you'll talk about it next session.\n"
        "• Document the run-in (`/contact-check runin CODE`).\n"
        "• Revisit it at the next session: ask what the run-in was like for them.",
    ),
    "between-sessions": Topic(
        "Contact between sessions",
        "• Don't invite or encourage calls between sessions except for emergencies and "
        "*logistics*: scheduling, cancellations, paperwork, payments. It helps the client learn "
        "healthy boundaries and protects your time off.\n"
        "• Clinical matters wait for the session. If a client raises one on a logistics call, "
        "acknowledge it and bring it to the next session.\n"
        "• DBT phone coaching is the only exception, and only once it is approved "
        "(see `/contact-check topic phone-coaching`).\n"
        "• Messages clients leave you: listen where no one else can hear them (volume down, or "
        "in private), and keep your voicemail code to yourself.\n"
        "• Nothing by mail between sessions (a note after a missed appointment, a card) unless "
        "the client agreed: a return address tells whoever sees it.\n"
        "• In a crisis, direct the client to emergency help: {emergency}",
    ),
    "phone-coaching": Topic(
        "DBT phone coaching",
        "• Phone coaching is offered *only* with the approver's sign-off: {coaching_approver}. "
        "Ask with `/contact-check coaching CODE` and wait for the decision.\n"
        "• Until it is approved, the phone is for scheduling with the client, nothing else.\n"
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
