"""Block Kit for run-ins: the modal that documents one, its confirmation, its details, its reminder.

Pure builders: data in, dict out. The modal and the details view are private to the person who
opened them; the reminder DM stays in Slack's history, so it carries the client code and times only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.mrkdwn import escape
from bot.policy.clinic import ClinicPolicy
from bot.policy.model import RunInRecord
from bot.services.outcomes import (
    INITIATORS,
    PLACE_MAX,
    TEXT_MAX,
    RunInDraft,
    RunInFollowup,
    RunInForm,
)
from bot.slack_ui import ids
from bot.slack_ui.blocks import button, option, plain
from bot.slack_ui.metadata import metadata_value, private_metadata
from bot.slack_ui.outbox import Rendered

# form field -> the block holding it (inline errors are keyed by block id)
BLOCKS = {
    "date": "runin_date",
    "time": "runin_time",
    "place": "runin_place",
    "initiated_by": "runin_initiated_by",
    "summary": "runin_summary",
    "revisit": "runin_revisit",
}
_ACTION = "value"


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%a %d %b %H:%M}"


def runin_modal(draft: RunInDraft) -> dict[str, Any]:
    """The modal ``runin CODE`` opens; ``private_metadata`` carries the client code only."""
    options = [
        option(value, label) for value, label in INITIATORS.items()
    ]
    return {
        "type": "modal",
        "callback_id": ids.RUNIN_MODAL,
        "private_metadata": private_metadata(client_code=draft.client_code),
        "title": plain("Document a run-in"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": (
                    f"An encounter with *{draft.client_code}* outside the office. "
                    "Let the client lead; keep it light."
                )},
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": (
                    "Stored encrypted; only the client's treating team can read it. Before the "
                    "client's next appointment, the clinician is reminded to ask how the "
                    "encounter was for them."
                )}],
            },
            {
                "type": "input", "block_id": BLOCKS["date"], "label": plain("Date"),
                "element": {"type": "datepicker", "action_id": _ACTION,
                            "initial_date": draft.date},
            },
            {
                "type": "input", "block_id": BLOCKS["time"], "label": plain("Time (about)"),
                "element": {"type": "timepicker", "action_id": _ACTION,
                            "initial_time": draft.time},
            },
            {
                "type": "input", "block_id": BLOCKS["place"], "label": plain("Where"),
                "element": {"type": "plain_text_input", "action_id": _ACTION,
                            "max_length": PLACE_MAX,
                            "placeholder": plain("e.g. grocery store, bus stop")},
            },
            {
                "type": "input", "block_id": BLOCKS["initiated_by"],
                "label": plain("Who greeted first?"),
                "element": {"type": "radio_buttons", "action_id": _ACTION, "options": options},
                "hint": plain("The client leads: wait for them to greet you."),
            },
            {
                "type": "input", "block_id": BLOCKS["summary"], "optional": True,
                "label": plain("What was said"),
                "element": {"type": "plain_text_input", "action_id": _ACTION, "multiline": True,
                            "max_length": TEXT_MAX,
                            "placeholder": plain("A line or two; no clinical detail")},
            },
            {
                "type": "input", "block_id": BLOCKS["revisit"], "optional": True,
                "label": plain("Anything to revisit next session"),
                "element": {"type": "plain_text_input", "action_id": _ACTION, "multiline": True,
                            "max_length": TEXT_MAX},
            },
        ],
    }


def client_code_of(view: Mapping[str, Any]) -> str:
    """The client code the modal was opened for ('' when the metadata is unreadable)."""
    return metadata_value(view, "client_code") or ""


def form_from_values(values: Mapping[str, Any]) -> RunInForm:
    """The submitted ``view.state.values`` as a form, every field a string ('' when missing)."""

    def element(field: str) -> Mapping[str, Any]:
        block = values.get(BLOCKS[field]) or {}
        return block.get(_ACTION) or {}

    selected = element("initiated_by").get("selected_option") or {}
    return RunInForm(
        date=element("date").get("selected_date") or "",
        time=element("time").get("selected_time") or "",
        place=element("place").get("value") or "",
        initiated_by=selected.get("value") or "",
        summary=element("summary").get("value") or "",
        revisit=element("revisit").get("value") or "",
    )


def field_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Service errors (by field) as ``response_action: errors`` wants them (by block id)."""
    return {BLOCKS.get(field, BLOCKS["place"]): message for field, message in errors.items()}


def runin_saved_view(client_code: str, occurred_at: datetime, followup_at: datetime | None,
                     initiated_by: str, tz: ZoneInfo) -> dict[str, Any]:
    """What the modal turns into once saved: codes and times only."""
    lines = [f"Run-in with *{client_code}* on {_local(occurred_at, tz)} is documented."]
    if followup_at is not None:
        lines.append(f"You'll be reminded at {_local(followup_at, tz)}, before their next "
                     "appointment, to ask how the encounter was for them.")
    else:
        lines.append("When their next appointment is booked, you'll be reminded before it to ask "
                     "how the encounter was for them.")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
    ]
    if initiated_by == "clinician":
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            "Next time, let the client lead: wait for them to greet you first. "
            "See `/contact-check topic run-ins`."
        )}]})
    return {"type": "modal", "callback_id": ids.RUNIN_SAVED, "title": plain("Run-in saved"),
            "close": plain("Done"), "blocks": blocks}


def runin_details_view(record: RunInRecord, tz: ZoneInfo) -> dict[str, Any]:
    """The run-in itself, for the treating team (a modal: never kept in Slack's history)."""
    who = "the client" if record.initiated_by == "client" else "the clinician"
    fields = [
        {"type": "mrkdwn", "text": f"*When*\n{_local(record.occurred_at, tz)}"},
        {"type": "mrkdwn", "text": f"*Where*\n{escape(record.place, 1900)}"},
        {"type": "mrkdwn", "text": f"*Greeted first*\n{who}"},
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": f"Run-in with *{record.client_code}*"},
         "fields": fields},
    ]
    for label, value in (("What was said", record.summary), ("To revisit", record.revisit)):
        if value:
            blocks.append({"type": "section",
                           "text": {"type": "mrkdwn", "text": f"*{label}*\n{escape(value, 2900)}"}})
    status = ("Revisited " + _local(record.followed_up_at, tz) if record.followed_up_at
              else "Not yet revisited with the client")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": status}]})
    return {"type": "modal", "callback_id": ids.RUNIN_DETAILS, "title": plain("Run-in"),
            "close": plain("Close"), "blocks": blocks}


def runin_followup_message(client_code: str, run_in_id: str, occurred_at: datetime,
                           start_at: datetime, tz: ZoneInfo) -> tuple[str, list[dict[str, Any]]]:
    """The reminder DM before the client's next appointment: (notification text, blocks)."""
    text = (f"Run-in follow-up: {client_code} has an appointment at {_local(start_at, tz)}. "
            "Ask how the encounter outside the office was for them.")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": (
            f"*Run-in follow-up: {client_code}*\n"
            f"{client_code} has an appointment at {_local(start_at, tz)}. You documented a "
            f"run-in outside the office on {_local(occurred_at, tz)}.\n"
            "Ask how the encounter was for them, and how they would like to handle it next time."
        )}},
        {"type": "actions", "block_id": "runin_followup", "elements": [
            button("View run-in", ids.RUNIN_VIEW, run_in_id),
            button("Asked ✓", ids.RUNIN_DONE, run_in_id, "primary"),
        ]},
    ]
    return text, blocks


def followup_dm(followup: RunInFollowup, policy: ClinicPolicy) -> Rendered:
    """The outbox kind ``runin_followup``, drawn from the facts read at send time."""
    text, blocks = runin_followup_message(followup.client_code, followup.run_in_id,
                                          followup.occurred_at, followup.start_at,
                                          policy.clinic.timezone)
    return Rendered(text=text, blocks=blocks)
