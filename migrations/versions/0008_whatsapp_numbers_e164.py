"""sellers.whatsapp stored in E.164 (+62…), as the forms now save it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 20:20:00.000000

Numbers saved before were kept as typed ("0812…", "62 812-…"). Each is normalised with the
same function the forms use; one that cannot be read is left as it was (the pages then show no
WhatsApp button for it, and the seller is asked for a valid one on the next save).
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    from marketplace.phones import to_e164

    conn = op.get_bind()
    sellers = sa.table('sellers', sa.column('id', sa.Integer), sa.column('whatsapp', sa.String))
    rows = conn.execute(sa.select(sellers.c.id, sellers.c.whatsapp)).all()
    for seller_id, number in rows:
        e164 = to_e164(number or "")
        if e164 and e164 != number:
            conn.execute(
                sellers.update().where(sellers.c.id == seller_id).values(whatsapp=e164)
            )


def downgrade():
    pass  # E.164 is a valid way to write every number: nothing to undo
