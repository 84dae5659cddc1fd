"""send_pace: one send budget and Retry-After shared by every dispatcher replica

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'send_pace',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('next_slot_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('blocked_until', storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('blocked_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('send_pace')
