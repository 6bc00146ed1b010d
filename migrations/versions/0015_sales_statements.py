"""sales statements a bank can verify, and the shop's optional NIB

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 07:55:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sellers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("nib", sa.String(length=13), server_default="", nullable=False)
        )
    op.create_table(
        "sales_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_sales_statements_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_statements")),
        sa.UniqueConstraint("code", name=op.f("uq_sales_statements_code")),
        sa.UniqueConstraint("number", name=op.f("uq_sales_statements_number")),
    )
    with op.batch_alter_table("sales_statements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sales_statements_seller_id"), ["seller_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("sales_statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_statements_seller_id"))
    op.drop_table("sales_statements")
    with op.batch_alter_table("sellers", schema=None) as batch_op:
        batch_op.drop_column("nib")
