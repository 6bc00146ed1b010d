"""guests review through their order's link; guest orders are found by e-mail

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 06:40:00.000000

``reviews.buyer_id`` may be empty: a guest's review names the order's contact on public pages
until the guest's orders join an account, which then fills it. ``orders.email`` gets an index,
since every login looks for guest orders placed with the account's address. Downgrading deletes
the reviews still without an account, since the old schema cannot hold them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.alter_column("buyer_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_email"), ["email"], unique=False)


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_email"))
    op.execute("DELETE FROM reviews WHERE buyer_id IS NULL")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.alter_column("buyer_id", existing_type=sa.Integer(), nullable=False)
