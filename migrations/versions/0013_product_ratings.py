"""products.rating_count and rating_sum: ratings kept on the product, backfilled from reviews

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 07:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('rating_count', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(
            sa.Column('rating_sum', sa.Integer(), server_default='0', nullable=False)
        )
    op.execute(
        """
        UPDATE products SET
            rating_count = (SELECT COUNT(*) FROM reviews WHERE reviews.product_id = products.id),
            rating_sum = (SELECT COALESCE(SUM(rating), 0) FROM reviews
                          WHERE reviews.product_id = products.id)
        """
    )


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('rating_sum')
        batch_op.drop_column('rating_count')
