"""clients: one client per code whatever its case (a unique index on lower(code))

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.migrate import MigrationRefused

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    clashes = op.get_bind().execute(sa.text(
        "SELECT lower(code) FROM clients GROUP BY lower(code) HAVING count(*) > 1 "
        "ORDER BY lower(code)"
    )).scalars().all()
    if clashes:
        raise MigrationRefused(
            "client codes now match without regard to case, but these are on file in more "
            f"than one case, each for a different client: {', '.join(clashes)}. Give one client "
            "of each pair another code (with the previous version of Contact Check, or in the "
            "code column of the clients table), then start again."
        )
    op.create_index('ix_clients_code_key', 'clients', [sa.text('lower(code)')], unique=True)


def downgrade() -> None:
    op.drop_index('ix_clients_code_key', table_name='clients')
