"""``flask db upgrade`` builds the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import base_config


def test_upgrade_matches_models_and_downgrades(database_url, tmp_path):
    app = create_app(base_config(database_url, str(tmp_path)))
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        try:
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            assert {"users", "sellers", "products", "product_images"} <= set(
                inspect(db.engine).get_table_names()
            )
            downgrade(revision="base")
            assert "products" not in inspect(db.engine).get_table_names()
        finally:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            db.drop_all()
            db.create_all()  # leave the schema the session-wide fixture expects
            db.session.remove()
            db.engine.dispose()
