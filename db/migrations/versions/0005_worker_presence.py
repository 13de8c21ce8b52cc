"""workers that say they are alive, and which one holds each running attempt

Revision ID: 0005
Revises: 0004

A redelivered job message took its job over at once, as if its worker had died. A
worker whose RabbitMQ connection only dropped for a moment was alive and still writing:
every running job of every such worker began again, an attempt more each time, and a
few drops failed jobs. A worker now writes ``seen_at`` every few seconds, a claim names
its worker in ``leased_by``, and a redelivered message takes over only an attempt
whose worker has gone quiet (or whose lease ran out).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("leased_by", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("leased_by")
    op.drop_table("workers")
