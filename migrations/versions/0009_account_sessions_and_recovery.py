"""users: a session token per account, a one-time reset code, phone numbers in E.164

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 06:40:00.000000

Sessions and remember cookies now name the account by ``session_token`` instead of its id, so a
new token ends them all (log-out, password change or reset). Every existing account gets its
own token here; sessions opened before the upgrade carry an id and simply ask to log in again.
Phone numbers typed at sign-up are normalised to E.164 with the function the forms use (one
that cannot be read is left as it was), so people can log in with "0812…" or "+62812…".
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    from marketplace.phones import to_e164

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('reset_code_hash', sa.String(length=255), server_default='', nullable=False)
        )
        batch_op.add_column(
            sa.Column('reset_code_expires_at', sa.DateTime(timezone=True), nullable=True)
        )

    conn = op.get_bind()
    users = sa.table(
        'users',
        sa.column('id', sa.Integer),
        sa.column('phone', sa.String),
        sa.column('session_token', sa.String),
    )
    for user_id, phone in conn.execute(sa.select(users.c.id, users.c.phone)).all():
        values = {'session_token': secrets.token_urlsafe(32)}
        e164 = to_e164(phone or "")
        if e164 and e164 != phone:
            values['phone'] = e164
        conn.execute(users.update().where(users.c.id == user_id).values(**values))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(batch_op.f('ix_users_session_token'), ['session_token'], unique=True)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_session_token'))
        batch_op.drop_column('reset_code_expires_at')
        batch_op.drop_column('reset_code_hash')
        batch_op.drop_column('session_token')
    # Phone numbers stay in E.164: a valid way to write every number.
