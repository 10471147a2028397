"""The soak's invariants, checked on the database itself, and its figures, written to
docs/performance.md between the soak markers."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from django.apps import apps
from django.db.models import Count, Sum

from .conftest import ROOT

DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- soak:start -->", "<!-- soak:end -->"


def check_invariants() -> dict[str, int]:
    """The books balance, no step number twice, no licence twice. Returns the counts checked."""
    wallet_model = apps.get_model("economy", "Wallet")
    ledger_model = apps.get_model("economy", "LedgerEntry")
    licence_model = apps.get_model("core", "PromptLicence")

    total = wallet_model.objects.aggregate(s=Sum("balance_cents"))["s"] or 0
    grants = ledger_model.objects.filter(kind="grant").aggregate(s=Sum("amount_cents"))["s"] or 0
    assert total == grants, f"sum of balances {total} != sum of grants {grants}"
    credits = dict(
        ledger_model.objects.values_list("payee").annotate(s=Sum("amount_cents")).order_by()
    )
    debits = dict(
        ledger_model.objects.values_list("payer").annotate(s=Sum("amount_cents")).order_by()
    )
    wallets = 0
    for wallet_id, balance in wallet_model.objects.values_list("id", "balance_cents"):
        assert balance == credits.get(wallet_id, 0) - debits.get(wallet_id, 0), wallet_id
        assert balance >= 0
        wallets += 1

    duplicates = (
        licence_model.objects.values("assistant", "prompt").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not duplicates.exists(), list(duplicates)

    steps = 0
    try:
        reflection_model = apps.get_model("training", "AssistantReflectionChain")
        chain_model = apps.get_model("training", "SwarmTrainingChain")
    except LookupError:
        reflection_model = chain_model = None
    if reflection_model is not None and chain_model is not None:
        chain_fk = next(
            f.name
            for f in reflection_model._meta.concrete_fields
            if f.is_relation and f.related_model is chain_model
        )
        twice = (
            reflection_model.objects.values(chain_fk, "step")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert not twice.exists(), list(twice)
        counts = dict(
            reflection_model.objects.values_list(chain_fk).annotate(n=Count("id")).order_by()
        )
        for chain_id, current in chain_model.objects.values_list("id", "current_step"):
            assert current == counts.get(chain_id, 0), (chain_id, current, counts.get(chain_id))
            numbers = sorted(
                reflection_model.objects.filter(**{chain_fk: chain_id}).values_list(
                    "step", flat=True
                )
            )
            assert (
                numbers == list(range(numbers[0], numbers[0] + len(numbers))) if numbers else True
            )
        steps = reflection_model.objects.count()
    return {
        "wallets": wallets,
        "ledger_entries": ledger_model.objects.count(),
        "licences": licence_model.objects.count(),
        "reflection_steps": steps,
    }


def write_figures(figures: dict) -> None:
    report = os.environ.get("SOAK_REPORT")
    if report:
        Path(report).write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    ops = "\n".join(
        f"| {label} | {count} |" for label, count in sorted(figures["by_operation"].items())
    )
    section = f"""{START}
## Soak

`SOAK=1 pytest tests/e2e/test_soak.py` (run by `.ci/run` on PostgreSQL): gunicorn with
`config/gunicorn.conf.py` and production settings ({figures["workers"]} workers x 2 threads),
{figures["threads"]} client threads on loopback for {figures["seconds"]:.0f} s, mixed reads and
writes ({", ".join(figures["operations"])}), on {figures["machine"]}.

| figure | value |
| --- | --- |
| requests | {figures["requests"]} |
| requests/s | {figures["rps"]:.1f} |
| 5xx | {figures["server_errors"]} |
| unexpected answers or transport errors | {figures["errors"]} |
| p50 / p95 latency | {figures["p50_ms"]:.0f} ms / {figures["p95_ms"]:.0f} ms |
| wallets / ledger entries / licences / chain steps checked | {figures["checked"]["wallets"]} / {figures["checked"]["ledger_entries"]} / {figures["checked"]["licences"]} / {figures["checked"]["reflection_steps"]} |

| operation and status | requests |
| --- | --- |
{ops}

Invariants after the run: no 5xx; sum of balances = sum of grants; each wallet = its ledger;
no chain step number taken twice; no licence duplicated.
{END}"""
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    if START in text and END in text:
        text = re.sub(
            re.escape(START) + r".*?" + re.escape(END), lambda _m: section, text, flags=re.S
        )
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text)
