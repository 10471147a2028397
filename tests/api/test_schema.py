"""The committed schema is what the code generates, and it generates with no warning."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command

SCHEMA = Path(__file__).resolve().parents[2] / "openapi" / "schema.yaml"


def test_schema_validates_without_warnings_and_matches_committed(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn turns any drf-spectacular warning or error into a failure
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert SCHEMA.exists(), "openapi/schema.yaml is missing: run `make schema`"
    assert out.read_text() == SCHEMA.read_text(), (
        "openapi/schema.yaml is stale: run `make schema` and commit it"
    )


def test_every_operation_has_explicit_id_and_documents_errors():
    import yaml

    schema = yaml.safe_load(SCHEMA.read_text())
    seen = set()
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            op_id = op["operationId"]
            assert re.fullmatch(r"[a-z][a-z0-9_]*", op_id), op_id
            assert op_id not in seen, f"duplicate operationId {op_id}"
            seen.add(op_id)
            codes = set(op["responses"])
            assert codes & {"200", "201", "204"}, f"{method} {path} has no success response"
            if method != "get":
                assert "400" in codes or op_id == "auth_logout", f"{op_id} lacks 400"
            if method != "get" and not op_id.startswith("auth_"):
                assert {"401", "403"} <= codes, f"{op_id} lacks 401/403"
            assert "405" in codes
            for code, resp in op["responses"].items():
                if code.startswith("4"):
                    ref = resp["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorResponse"), f"{op_id} {code} is not the error shape"


@pytest.mark.django_db
def test_docs_are_served_offline(client):
    for url in ["/api/docs/", "/api/redoc/"]:
        r = client.get(url)
        assert r.status_code == 200
        html = r.content.decode()
        external = re.findall(r"""(?:src|href)=["'](https?:)?//[^"']+""", html)
        assert not external, f"{url} links outside: {external}"
        assert "googleapis" not in html
        assert "cdn" not in html.lower()
    r = client.get("/api/schema/")
    assert r.status_code == 200


@pytest.mark.django_db
def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "migrations": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_unknown_urls_answer_json_404(client):
    for url in ["/api/v1/nope/", "/api/v1/assistants/-1/", "/api/v1/prompts/abc/"]:
        r = client.get(url)
        assert r.status_code == 404
        assert r.json() == {
            "type": "client_error",
            "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
        }
