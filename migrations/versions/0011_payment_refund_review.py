"""payments.refund_to_review: provider refunds waiting for an admin's decision

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 06:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('refund_to_review', sa.Integer(), nullable=False, server_default='0')
        )


def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('refund_to_review')
