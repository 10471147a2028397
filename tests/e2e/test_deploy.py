"""The production configuration: ``check --deploy`` is clean, and gunicorn with
config/gunicorn.conf.py serves the API, the health check and whitenoise's static files."""

import json
import os
import secrets
import subprocess
import sys
import urllib.request

import pytest

from .conftest import ROOT, gunicorn


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.production", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ALLOWED_HOSTS": "example.com"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short", "ALLOWED_HOSTS": "example.com"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "x" * 60}, "ALLOWED_HOSTS must list"),
    ],
)
def test_production_settings_refuse_to_start_without_their_secrets(env, message):
    result = _manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def _get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_api_health_and_static_files(tmp_path):
    with gunicorn(tmp_path, WEB_CONCURRENCY="2") as base:
        status, _, body = _get(f"{base}/healthz")
        assert status == 200
        assert json.loads(body) == {
            "status": "ok",
            "database": "ok",
            "migrations": "ok",
            "cache": "ok",
        }

        status, _, body = _get(f"{base}/api/v1/prompts/", Accept="application/json")
        assert status == 200
        assert json.loads(body)["count"] == 0

        # Swagger UI's assets come from whitenoise: hashed names, cached for a year.
        status, _, page = _get(f"{base}/api/docs/")
        assert status == 200
        asset = next(
            part.split('"')[0]
            for part in page.decode().split('src="')[1:]
            if part.startswith("/static/") and "swagger-ui-bundle" in part
        )
        status, headers, _ = _get(f"{base}{asset}")
        assert status == 200
        assert "max-age=315360000" in headers.get("Cache-Control", ""), headers
        assert headers.get("Strict-Transport-Security") is None  # plain http: no HSTS

    access_log = (tmp_path / "access.log").read_text()
    assert '"GET /healthz HTTP/1.1" 200' in access_log
