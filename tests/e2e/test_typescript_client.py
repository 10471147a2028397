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
