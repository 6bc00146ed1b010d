"""workshops (members, join codes) and the mark on practice products, orders, ledger lines, reviews

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 08:46:12.813464
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "workshops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trainer_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("modules", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("join_code", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("practice_purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["trainer_id"], ["users.id"], name=op.f("fk_workshops_trainer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops")),
        sa.UniqueConstraint("join_code", name=op.f("uq_workshops_join_code")),
    )
    with op.batch_alter_table("workshops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workshops_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_workshops_trainer_id"), ["trainer_id"], unique=False)

    op.create_table(
        "workshop_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_snapshot", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_workshop_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshops.id"],
            name=op.f("fk_workshop_members_workshop_id_workshops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_members")),
        sa.UniqueConstraint("workshop_id", "user_id", name=op.f("uq_workshop_members_workshop_id")),
    )
    with op.batch_alter_table("workshop_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workshop_members_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_workshop_members_workshop_id"), ["workshop_id"], unique=False
        )

    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice_workshop_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_practice_workshop_id"),
            ["practice_workshop_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_ledger_entries_practice_workshop_id_workshops"),
            "workshops",
            ["practice_workshop_id"],
            ["id"],
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice_workshop_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_orders_practice_workshop_id"), ["practice_workshop_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_orders_practice_workshop_id_workshops"),
            "workshops",
            ["practice_workshop_id"],
            ["id"],
        )

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice_workshop_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_products_practice_workshop_id"), ["practice_workshop_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_products_practice_workshop_id_workshops"),
            "workshops",
            ["practice_workshop_id"],
            ["id"],
        )

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice_workshop_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_reviews_practice_workshop_id"), ["practice_workshop_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_reviews_practice_workshop_id_workshops"),
            "workshops",
            ["practice_workshop_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_reviews_practice_workshop_id_workshops"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_reviews_practice_workshop_id"))
        batch_op.drop_column("practice_workshop_id")

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_products_practice_workshop_id_workshops"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_products_practice_workshop_id"))
        batch_op.drop_column("practice_workshop_id")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_orders_practice_workshop_id_workshops"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_orders_practice_workshop_id"))
        batch_op.drop_column("practice_workshop_id")

    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ledger_entries_practice_workshop_id_workshops"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_ledger_entries_practice_workshop_id"))
        batch_op.drop_column("practice_workshop_id")

    with op.batch_alter_table("workshop_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshop_members_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_workshop_members_user_id"))

    op.drop_table("workshop_members")
    with op.batch_alter_table("workshops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshops_trainer_id"))
        batch_op.drop_index(batch_op.f("ix_workshops_status"))

    op.drop_table("workshops")
