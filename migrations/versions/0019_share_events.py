"""share events: when a seller sent a link out of the share kit (the board's "first share")

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 09:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "share_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_share_events_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_share_events_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_events")),
    )
    with op.batch_alter_table("share_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_share_events_seller_id"), ["seller_id"], unique=False)


def downgrade():
    with op.batch_alter_table("share_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_events_seller_id"))

    op.drop_table("share_events")
