"""outbox claims: a retry time apart from the due time, unknown-outcome attempts, subject index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('available_at', storage.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('attempted_at', storage.types.UTCDateTime(timezone=True),
                                      nullable=True))
    op.execute("UPDATE outbox SET available_at = due_at")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('available_at', existing_type=storage.types.UTCDateTime(timezone=True),
                              nullable=False)
        batch_op.drop_index('ix_outbox_status_due')
        batch_op.create_index('ix_outbox_claim', ['status', 'priority', 'available_at'],
                              unique=False)
        batch_op.create_index('ix_outbox_subject', ['subject_kind', 'subject_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_subject')
        batch_op.drop_index('ix_outbox_claim')
        batch_op.create_index('ix_outbox_status_due', ['status', 'priority', 'due_at'],
                              unique=False)
        batch_op.drop_column('attempted_at')
        batch_op.drop_column('available_at')
