"""What a serving process does as it starts (config/startup.py), through the real entry points
``config.wsgi`` and ``config.asgi`` in a fresh interpreter: the URLconf, and with it the view
modules, loaded before the first request."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Imported inside a running event loop, as ``uvicorn --reload`` loads the ASGI app: a module
# that touched the database at import would fail there (SynchronousOnlyOperation).
PROBE = (
    "import asyncio, importlib, sys\n"
    "async def load(): importlib.import_module('{module}')\n"
    "asyncio.run(load())\n"
    "print('api.economy.views.market' in sys.modules, 'api.urls' in sys.modules)"
)


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_a_serving_process_loads_its_urlconf_and_views_as_it_starts(module):
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
