"""clients: one client per code whatever its case (a unique index on lower(code))

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

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
        raise RuntimeError(
            "Client codes now match without regard to case, but these codes are on file in "
            f"more than one case: {', '.join(clashes)}. Rename or merge those clients (export, "
            "fix the codes, import into an empty database), then start the bot again."
        )
    op.create_index('ix_clients_code_key', 'clients', [sa.text('lower(code)')], unique=True)


def downgrade() -> None:
    op.drop_index('ix_clients_code_key', table_name='clients')
