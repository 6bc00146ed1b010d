"""search vocabulary for the PostgreSQL backend's typo matching

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 18:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_words',
    sa.Column('word', sa.String(length=60), nullable=False),
    sa.PrimaryKeyConstraint('word', name=op.f('pk_search_words'))
    )
    with op.batch_alter_table('search_words', schema=None) as batch_op:
        batch_op.create_index('ix_search_words_word_trgm', ['word'], unique=False, postgresql_using='gin', postgresql_ops={'word': 'gin_trgm_ops'})
    if op.get_bind().dialect.name == "postgresql":
        # Existing documents' title words (a new install has none; `search reindex` also fills it).
        op.execute(
            "INSERT INTO search_words (word) "
            "SELECT DISTINCT left(w, 60) FROM search_documents, "
            "unnest(string_to_array(title_raw, ' ')) AS w WHERE w <> '' "
            "ON CONFLICT DO NOTHING"
        )


def downgrade():
    with op.batch_alter_table('search_words', schema=None) as batch_op:
        batch_op.drop_index('ix_search_words_word_trgm', postgresql_using='gin', postgresql_ops={'word': 'gin_trgm_ops'})
    op.drop_table('search_words')
