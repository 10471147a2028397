"""TypeScript types generated from openapi/schema.yaml (openapi-typescript, pinned in
package.json) type-check a small client that calls the same endpoints (tsc --noEmit)."""

import json
import shutil
import subprocess

import pytest

from .conftest import ROOT, require

pytestmark = pytest.mark.slow

BIN = ROOT / "node_modules" / ".bin"
TYPES = ROOT / "clients" / "generated" / "typescript" / "schema.d.ts"


def _run(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def generated_types():
    require(shutil.which("node") is not None, "node (Node 20)")
    require(
        (BIN / "openapi-typescript").exists() and (BIN / "tsc").exists(), "npm packages (npm ci)"
    )
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    installed = json.loads((ROOT / "node_modules" / "typescript" / "package.json").read_text())
    assert installed["version"] == pinned["typescript"], "node_modules is stale: run npm ci"
    TYPES.unlink(missing_ok=True)
    # Fields with a server-side default stay optional in request bodies.
    result = _run(
        str(BIN / "openapi-typescript"),
        "openapi/schema.yaml",
        "--default-non-nullable=false",
        "--output",
        str(TYPES),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return TYPES


def test_typescript_client_type_checks_against_generated_types(generated_types):
    result = _run(str(BIN / "tsc"), "--noEmit", "-p", "clients/typescript/tsconfig.json")
    assert result.returncode == 0, result.stdout + result.stderr


def test_type_check_catches_a_body_that_does_not_fit(generated_types, tmp_path):
    """The types are real: a prompt without its acting assistant does not compile."""
    (tmp_path / "bad.ts").write_text(
        'import type { components } from "./schema";\n'
        'const body: components["schemas"]["PromptCreateRequest"] = '
        '{ title: "t", body: "b" };\nexport default body;\n'
    )
    shutil.copy(generated_types, tmp_path / "schema.d.ts")
    result = _run(
        str(BIN / "tsc"),
        "--noEmit",
        "--strict",
        "--skipLibCheck",
        "bad.ts",
        "schema.d.ts",
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "author" in result.stdout, result.stdout


RUN_OUT = ROOT / "clients" / "generated" / "typescript-run"


@pytest.mark.django_db(transaction=True)
def test_typescript_program_buys_and_reads_the_sellers_events(generated_types, live_server):
    """Not only type-checked: the openapi-fetch program (clients/typescript/events.mts),
    compiled by tsc, drives a purchase against a live server and finds the seller's
    ``purchase.completed`` event in the feed, typed per type."""
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    fetch_pkg = ROOT / "node_modules" / "openapi-fetch" / "package.json"
    require(fetch_pkg.exists(), "openapi-fetch (npm ci)")
    assert json.loads(fetch_pkg.read_text())["version"] == pinned["openapi-fetch"]
    shutil.rmtree(RUN_OUT, ignore_errors=True)
    built = _run(str(BIN / "tsc"), "-p", "clients/typescript/tsconfig.events.json")
    assert built.returncode == 0, built.stdout + built.stderr
    ran = _run(shutil.which("node") or "node", str(RUN_OUT / "events.mjs"), live_server.url)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    seen = json.loads(ran.stdout.strip().splitlines()[-1])
    assert seen["type"] == "purchase.completed"
    assert seen["price"] == "7.25"
    for key in ("listing", "prompt", "buyer", "seller"):
        assert seen[key] == seen["expected"][key], key

    from core.models import Event, EventRecipient

    event = Event.objects.get(pk=seen["event"])
    seller_owner = EventRecipient.objects.filter(event=event).values_list(
        "user__username", flat=True
    )
    assert any(name.startswith("seller-") for name in seller_owner)
