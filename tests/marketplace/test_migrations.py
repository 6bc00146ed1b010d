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


def test_whatsapp_numbers_are_normalised_by_migration_0008(database_url, tmp_path):
    from sqlalchemy import text

    app = create_app(base_config(database_url, str(tmp_path)))
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        try:
            upgrade(revision="0007")
            with db.engine.begin() as conn:
                for n, number in enumerate(["0812 3456 7890", "62812-3456-7891", "not a number"]):
                    _insert(conn, "users", id=n + 1, email=f"u{n}@example.id")
                    _insert(
                        conn, "sellers", id=n + 1, owner_id=n + 1, slug=f"t-{n}", whatsapp=number
                    )
            upgrade(revision="0008")
            with db.engine.connect() as conn:
                stored = conn.execute(text("SELECT whatsapp FROM sellers ORDER BY id")).scalars()
                assert list(stored) == ["+6281234567890", "+6281234567891", "not a number"]
        finally:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            db.drop_all()
            db.create_all()
            db.session.remove()
            db.engine.dispose()


def _insert(conn, table: str, **values) -> None:
    """One row with the given values and a plain filler for every other required column."""
    import datetime

    from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, text

    for column in inspect(conn).get_columns(table):
        if column["name"] in values or column["nullable"]:
            continue
        kind = column["type"]
        if isinstance(kind, Boolean):
            values[column["name"]] = True
        elif isinstance(kind, Integer | Numeric):
            values[column["name"]] = 0
        elif isinstance(kind, DateTime | Date):
            values[column["name"]] = datetime.datetime(2026, 1, 1)
        else:
            values[column["name"]] = ""
    names = ", ".join(values)
    params = ", ".join(f":{name}" for name in values)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({params})"), values)  # noqa: S608
