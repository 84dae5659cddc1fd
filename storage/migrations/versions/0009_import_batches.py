"""import_batches and clients.import_batch: an import writes its new clients hidden, in short
transactions, and shows them all at once (issue 12, item 9)

A client with ``import_batch`` set is on file but hidden until the import that is writing it
clears the mark in its last transaction. The unique index on ``lower(code)`` now holds among
visible clients only (a half-written import must not block a code, nor a code typed meanwhile
break the import's early transactions: the last one finds it), and the exact-case index on
``code`` is no longer unique (``lower(code)`` already makes codes unique). Existing clients are
all visible (the new column is NULL). No audited row changes, so the audit chain is untouched.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_VISIBLE = sa.text('import_batch IS NULL')
_HIDDEN = sa.text('import_batch IS NOT NULL')


def upgrade() -> None:
    op.create_table(
        'import_batches',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('started_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('heartbeat_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.add_column('clients', sa.Column('import_batch', sa.Uuid(), nullable=True))
    op.drop_index('ix_clients_code_key', table_name='clients')
    op.create_index('ix_clients_code_key', 'clients', [sa.text('lower(code)')], unique=True,
                    sqlite_where=_VISIBLE, postgresql_where=_VISIBLE)
    op.drop_index('ix_clients_code', table_name='clients')
    op.create_index('ix_clients_code', 'clients', ['code'], unique=False)
    op.create_index('ix_clients_import_batch', 'clients', ['import_batch'],
                    sqlite_where=_HIDDEN, postgresql_where=_HIDDEN)


def downgrade() -> None:
    # Hidden clients are an unfinished import's: gone with the column that hides them.
    op.execute(sa.text('DELETE FROM clients WHERE import_batch IS NOT NULL'))
    op.drop_index('ix_clients_import_batch', table_name='clients')
    op.drop_index('ix_clients_code', table_name='clients')
    op.create_index('ix_clients_code', 'clients', ['code'], unique=True)
    # SQLite drops a column by copying the table, which keeps no expression index: made again
    op.drop_index('ix_clients_code_key', table_name='clients')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('import_batch')
    op.create_index('ix_clients_code_key', 'clients', [sa.text('lower(code)')], unique=True)
    op.drop_table('import_batches')
