"""What Slack submits for a modal whose inputs are left as shown (``state.values``), editable."""

from __future__ import annotations

from typing import Any


def submitted_values(view: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        kind = element["type"]
        state: dict[str, Any] = {"type": kind}
        if kind == "plain_text_input":
            state["value"] = element.get("initial_value")
        elif kind in ("static_select", "radio_buttons"):
            state["selected_option"] = element.get("initial_option")
        elif kind == "checkboxes":
            state["selected_options"] = element.get("initial_options", [])
        elif kind == "users_select":
            state["selected_user"] = element.get("initial_user")
        values[block["block_id"]] = {element["action_id"]: state}
    return values


def set_text(values: dict, block: str, text: str | None) -> None:
    values[block]["value"]["value"] = text


def set_choice(values: dict, block: str, choice: str | None) -> None:
    values[block]["value"]["selected_option"] = None if choice is None else {"value": choice}


def set_checked(values: dict, block: str, *checked: str) -> None:
    values[block]["value"]["selected_options"] = [{"value": c} for c in checked]


def set_user(values: dict, block: str, user: str | None) -> None:
    values[block]["value"]["selected_user"] = user
