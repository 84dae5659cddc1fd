"""Who may do what to a client: one authorisation function and one refusal type for every use case.

A use case that may not go ahead raises ``Refused``: nothing was changed, and ``message`` says why
and what to do instead, in the words a person reads in Slack. Where a larger use case goes on
regardless (a no-show is recorded even when no closure warning can be asked for), the refusal is
carried in its outcome instead (``RequestResult.refused``). Handlers show ``message`` through
the presentation layer (``errors.refusal``).

``authorise`` is the one gate: a person off the clinic's team is refused with one wording
(``bot.policy.access.NOT_ON_TEAM``), and everyone else by the access rule the use case names
(``card_access`` unless said otherwise) with that rule's reason, or with the use case's own
wording when it gives one. ``client_on_file`` is the one check of a typed client code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bot.policy.access import NOT_ON_TEAM, Access, ClientRef, card_access
from bot.policy.clinic import ClinicPolicy
from bot.policy.model import CLIENT_CODE_RULE, is_client_code
from storage.tables import Client
from storage.uow import UnitOfWork

C = TypeVar("C", bound=ClientRef)  # what a rule decides from: a record or a table row
AccessRule = Callable[[ClinicPolicy, str, C | None], Access]

UNKNOWN_CLIENT_HINT = "Check the code, or ask your clinic admin to import the client first."


class Refused(Exception):
    """The use case did nothing; ``message`` says why and what to do instead."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def authorise(policy: ClinicPolicy, actor: str, client: C | None, *,
              rule: AccessRule[C] = card_access, details: bool = False,
              front_desk_ok: bool = False, refusal: str | None = None) -> Access:
    """``actor``'s access to ``client`` by ``rule``, or ``Refused``.

    ``details``: the details level is needed (the treating team and admins), not just the card;
    ``front_desk_ok``: the front desk may too (arrivals and no-shows: they see who came);
    ``refusal``: the use case's own wording for a team member the rule refuses (else the rule's).
    """
    member = policy.member(actor)
    if member is None:
        raise Refused(NOT_ON_TEAM)
    access = rule(policy, actor, client)
    if front_desk_ok and member.role == "front_desk":
        return access
    if not (access.details if details else access.allowed):
        raise Refused(refusal or access.reason)
    return access


def client_on_file(uow: UnitOfWork, code: str, *, hint: str = UNKNOWN_CLIENT_HINT,
                   code_hint: str = "") -> Client:
    """The client ``code`` names (in any case), or ``Refused`` saying what to fix."""
    if not is_client_code(code):
        raise Refused(f"`{code[:40]}` is not a client code ({CLIENT_CODE_RULE}).{code_hint}")
    client = uow.clients.row(code)
    if client is None:
        raise Refused(f"There is no client `{code}` on file. {hint}")
    return client
