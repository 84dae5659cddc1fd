"""audit keyed chain: each event signed (key id, HMAC), a signed head; the unkeyed trail signed

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:00:00

The existing trail is checked exactly as the unkeyed ``verify-audit`` checked it (sequence, links,
hashes). Intact, every event and the head are signed under the first key of
``CONTACT_CHECK_KEYS`` (``storage.migrate.upgrade`` hands the keyring over) and an
``audit.keyed`` event records that events 1..N were verified unkeyed and signed here; their
hashes are not changed, so heads kept from before stay checkable. Broken, nothing changes and
the upgrade stops (``storage.audit.TrailBroken``): re-signing a broken trail would hide what
happened. The keys are checked against the database first, so a wrong key signs nothing.

The signing is ``storage.audit``'s own (one format for the whole trail): a later migration that
adds a column with a default to ``audit_events`` must keep this one runnable (give the column a
server default, or none).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import context, op

from storage.audit import GENESIS, HEAD_ID, sign_unkeyed_trail
from storage.crypto import KEYS_VARIABLE, KeyConfigError
from storage.keycheck import key_problem
from storage.sealing import Sealer

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=True))
        batch_op.add_column(sa.Column('mac', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
    head = op.create_table(
        'audit_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('events', sa.Integer(), nullable=False),
        sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column('mac', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(head, [{'id': HEAD_ID, 'events': 0, 'hash': GENESIS}])
    conn = op.get_bind()
    keyring = context.config.attributes.get('keyring')
    has_events = conn.execute(sa.text('SELECT 1 FROM audit_events LIMIT 1')).first() is not None
    if keyring is None:
        if has_events:
            raise KeyConfigError(
                f"The audit trail must be signed with the clinic's key as it is upgraded: run "
                f"`contact-check serve` (or any other command) with {KEYS_VARIABLE} set.")
        return  # a fresh database: the first key registered signs the head
    problem = key_problem(conn, Sealer(keyring))
    if problem is not None:
        raise KeyConfigError(problem)
    sign_unkeyed_trail(conn, keyring, at=datetime.now(UTC))


def downgrade() -> None:
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('mac')
        batch_op.drop_column('key_id')
