"""workshop login cards (one-time sign-in codes), mentoring notes and follow-up mail records

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 09:05:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "workshop_sign_in_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_workshop_sign_in_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshops.id"],
            name=op.f("fk_workshop_sign_in_codes_workshop_id_workshops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_sign_in_codes")),
    )
    with op.batch_alter_table("workshop_sign_in_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workshop_sign_in_codes_user_id"), ["user_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workshop_sign_in_codes_workshop_id"), ["workshop_id"], unique=False
        )

    op.create_table(
        "workshop_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_workshop_notes_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_workshop_notes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshops.id"],
            name=op.f("fk_workshop_notes_workshop_id_workshops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_notes")),
    )
    with op.batch_alter_table("workshop_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workshop_notes_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_workshop_notes_workshop_id"), ["workshop_id"], unique=False
        )

    op.create_table(
        "workshop_follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("stalled", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshops.id"],
            name=op.f("fk_workshop_follow_ups_workshop_id_workshops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_follow_ups")),
        sa.UniqueConstraint("workshop_id", "days", name=op.f("uq_workshop_follow_ups_workshop_id")),
    )


def downgrade():
    op.drop_table("workshop_follow_ups")
    with op.batch_alter_table("workshop_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshop_notes_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_workshop_notes_user_id"))
    op.drop_table("workshop_notes")
    with op.batch_alter_table("workshop_sign_in_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshop_sign_in_codes_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_workshop_sign_in_codes_user_id"))
    op.drop_table("workshop_sign_in_codes")
