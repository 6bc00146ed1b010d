"""seller_events: every change of a shop's status, with who made it and why

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 07:10:00.000000

Shops verified, rejected or suspended before this revision have no history rows; their
current status and ``rejection_reason`` stay as they were.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "seller_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=False),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_seller_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_seller_events_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_events")),
    )
    with op.batch_alter_table("seller_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seller_events_seller_id"), ["seller_id"], unique=False)


def downgrade():
    with op.batch_alter_table("seller_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seller_events_seller_id"))
    op.drop_table("seller_events")
