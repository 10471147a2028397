"""The suite builds its database without migrations (--no-migrations, for speed); this test
applies every migration from scratch on the database in use, so a broken one still fails CI."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _migrate(database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_all_migrations_apply_from_scratch(tmp_path):
    default = settings.DATABASES["default"]
    if default["ENGINE"] != "django.db.backends.postgresql":
        result = _migrate(f"sqlite:///{tmp_path / 'migrate.sqlite3'}")
        assert result.returncode == 0, result.stderr
        return
    import psycopg

    name = f"mythos_migrate_{uuid.uuid4().hex[:8]}"
    host, port, user = default["HOST"] or "127.0.0.1", default["PORT"] or 5432, default["USER"]
    admin = f"postgresql://{user}@{host}:{port}/{default['NAME']}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        result = _migrate(f"postgres://{user}@{host}:{port}/{name}")
        assert result.returncode == 0, result.stderr
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
