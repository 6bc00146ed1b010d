"""payment_events.created holds 64-bit Unix times (a time after 2038 no longer overflows)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 20:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment_events', schema=None) as batch_op:
        batch_op.alter_column(
            'created', existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
        )


def downgrade():
    with op.batch_alter_table('payment_events', schema=None) as batch_op:
        batch_op.alter_column(
            'created', existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
        )
