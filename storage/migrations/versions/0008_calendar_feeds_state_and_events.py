"""calendar_feeds and calendar_events: each iCalendar feed's lease and sync state, and the
appointment each of its events became (issue 14)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _moment() -> storage.types.UTCDateTime:
    return storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'calendar_feeds',
        sa.Column('name', _text(64), nullable=False),
        sa.Column('lease_owner', _text(64), nullable=True),
        sa.Column('lease_until', _moment(), nullable=True),
        sa.Column('etag', _text(200), nullable=True),
        sa.Column('last_modified', _text(64), nullable=True),
        sa.Column('content_hash', _text(64), nullable=True),
        sa.Column('window_day', _text(10), nullable=True),
        sa.Column('future_events', sa.Integer(), nullable=True),
        sa.Column('next_attempt_at', _moment(), nullable=True),
        sa.Column('last_attempt_at', _moment(), nullable=True),
        sa.Column('last_success_at', _moment(), nullable=True),
        sa.Column('last_error', _text(200), nullable=True),
        sa.Column('last_error_at', _moment(), nullable=True),
        sa.Column('failing_since', _moment(), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    op.create_table(
        'calendar_events',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('feed', _text(64), nullable=False),
        sa.Column('event_key', _text(64), nullable=False),
        sa.Column('appointment_id', sa.Uuid(), nullable=False),
        sa.Column('start_at', _moment(), nullable=False),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('feed', 'event_key'),
    )
    with op.batch_alter_table('calendar_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_events_feed'), ['feed'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_events_appointment_id'),
                              ['appointment_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('calendar_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_events_appointment_id'))
        batch_op.drop_index(batch_op.f('ix_calendar_events_feed'))
    op.drop_table('calendar_events')
    op.drop_table('calendar_feeds')
