"""indexes for the team report and the access report (issue 16)

The team report reads what happened in a period: calls missed (callback_duties.called_at),
requests made (approvals.created_at), run-ins documented (run_ins.created_at) and no-show chases
sent (outbox.kind, sent_at). The access report reads one client's events newest first whatever
the case of the code (lower(audit_events.client_code), seq) and the exports since a date
(audit_events.action, at). Indexes only: no row changes, so the audit chain is untouched.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_callback_duties_called_at', 'callback_duties', ['called_at'])
    op.create_index('ix_approvals_created_at', 'approvals', ['created_at'])
    op.create_index('ix_run_ins_created_at', 'run_ins', ['created_at'])
    op.create_index('ix_outbox_kind_sent', 'outbox', ['kind', 'sent_at'])
    op.create_index('ix_audit_events_code_seq', 'audit_events',
                    [sa.text('lower(client_code)'), 'seq'])
    op.create_index('ix_audit_events_action_at', 'audit_events', ['action', 'at'])


def downgrade() -> None:
    op.drop_index('ix_audit_events_action_at', table_name='audit_events')
    op.drop_index('ix_audit_events_code_seq', table_name='audit_events')
    op.drop_index('ix_outbox_kind_sent', table_name='outbox')
    op.drop_index('ix_run_ins_created_at', table_name='run_ins')
    op.drop_index('ix_approvals_created_at', table_name='approvals')
    op.drop_index('ix_callback_duties_called_at', table_name='callback_duties')
