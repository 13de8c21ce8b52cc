"""usage on jobs: model, prompt version, tokens and timings

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("model", sa.Text),
    ("prompt_version", sa.String(64)),
    ("prompt_tokens", sa.Integer),
    ("completion_tokens", sa.Integer),
    ("time_to_first_token_ms", sa.Integer),
    ("duration_ms", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        for name, type_ in _COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
