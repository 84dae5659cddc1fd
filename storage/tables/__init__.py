"""Every table of Contact Check. Importing this package registers them all on
``SQLModel.metadata``."""

from storage.tables.appointments import Appointment
from storage.tables.approvals import Approval
from storage.tables.audit import AuditEvent, AuditHead
from storage.tables.calendars import CalendarEventLink, CalendarFeedState
from storage.tables.callbacks import CallbackDuty
from storage.tables.clients import (
    Client,
    ConsentNumber,
    ConsentRow,
    ImportBatch,
    ThirdPartyRow,
)
from storage.tables.events import ProcessedEvent
from storage.tables.keys import KeyRecord
from storage.tables.outbox import OutboxMessage
from storage.tables.runins import RunIn
from storage.tables.seen import SeenRequest
from storage.tables.send_pace import SendPace
from storage.tables.team import TeamMemberRow

__all__ = [
    "Appointment",
    "Approval",
    "AuditEvent",
    "AuditHead",
    "CalendarEventLink",
    "CalendarFeedState",
    "CallbackDuty",
    "Client",
    "ConsentNumber",
    "ConsentRow",
    "ImportBatch",
    "KeyRecord",
    "OutboxMessage",
    "ProcessedEvent",
    "RunIn",
    "SeenRequest",
    "SendPace",
    "TeamMemberRow",
    "ThirdPartyRow",
]
