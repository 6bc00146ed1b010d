"""product page views per product and day (no visitor data), for the sellers' dashboard

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 09:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "product_view_days",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_view_days_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "day", name=op.f("pk_product_view_days")),
    )


def downgrade():
    op.drop_table("product_view_days")
