"""Migration 0009: every existing account gets its own session token; phones become E.164."""

from flask_migrate import upgrade
from sqlalchemy import text

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import base_config
from tests.marketplace.test_migrations import _insert


def test_existing_accounts_get_tokens_and_e164_phones(database_url, tmp_path):
    app = create_app(base_config(database_url, str(tmp_path)))
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        try:
            upgrade(revision="0008")
            with db.engine.begin() as conn:
                for n, phone in enumerate(["0812 3456 7890", "62812-3456-7891", "", "12"]):
                    _insert(conn, "users", id=n + 1, email=f"u{n}@example.id", phone=phone)
            upgrade(revision="0009")
            with db.engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT phone, session_token, reset_code_hash FROM users ORDER BY id")
                ).all()
            assert [row[0] for row in rows] == ["+6281234567890", "+6281234567891", "", "12"]
            tokens = [row[1] for row in rows]
            assert all(len(token) >= 40 for token in tokens) and len(set(tokens)) == 4
            assert {row[2] for row in rows} == {""}
        finally:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            db.drop_all()
            db.create_all()  # leave the schema the session-wide fixture expects
            db.session.remove()
            db.engine.dispose()
