"""The policy file the command-line and end-to-end tests write: Great Agency in New York, Jamie
supervising Ana. Tests that need more of a team add lines to the end (``team`` is last)."""

from datetime import UTC, datetime

POLICY_YAML = """clinic:
  name: Great Agency
  timezone: America/New_York
team:
  - {slack_id: U0JAMIE, role: supervisor, first_name: Jamie}
  - {slack_id: U0ANA, role: clinician, first_name: Ana, supervisor: U0JAMIE}
"""


def open_at_midday_policy(now: datetime) -> str:
    """``POLICY_YAML`` for a clinic where it is about midday at ``now``, open every day 09-15.

    For end-to-end tests whose bot runs on the real clock: its zone is the fixed-offset zone
    (``Etc/GMT±N``, within an hour of noon) in which ``now`` falls nearest midday, so a card says
    ``OK to call`` whenever the test runs, and no holiday can close it.
    """
    offset = max(-12, min(14, 12 - now.astimezone(UTC).hour))
    zone = "Etc/GMT" + (f"{-offset:+d}" if offset else "")  # Etc/GMT+5 is five hours behind UTC
    days = "".join(f"    {day}: \"09:00-15:00\"\n"
                   for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    return POLICY_YAML.replace("  timezone: America/New_York\n",
                               f"  timezone: {zone}\n  hours:\n{days}"
                               "  holidays: {extra: []}\n")
