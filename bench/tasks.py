"""Django-side steps of the bench, run as ``python -m bench.tasks <step> <fixtures.json>`` with
``DJANGO_SETTINGS_MODULE=config.settings.bench`` against the bench database:

- ``prepare``: bench users with API tokens, buyer assistants (wallets through the service,
  topped up by a grant), cheap paid listings to buy, prompts to rate, chains to step; written
  to the fixtures file the load generator reads.
- ``queries``: each scenario once in-process under CaptureQueriesContext: queries per request.
- ``invariants``: the ledger invariants of the economy, checked after the load.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import django

BENCH_USERS = 16
BUYERS = 256
CHAINS = 64
# Listings cost at most this; each bench buyer gets TOP_UP_CENTS more (a grant entry, so the
# ledger invariants hold) to afford every purchase of a long run.
MAX_COST_CENTS = 100_00
TOP_UP_CENTS = 1_000_000_00
# Enough listings that 2 x 3 runs of a fast side never run out of fresh (buyer, listing) pairs.
MAX_LISTINGS = 8000
# Pair indices below this are kept for the in-process query count, the load starts above.
RESERVED_PAIRS = 64


def scenario_urls(fx: dict[str, Any]) -> dict[str, str]:
    """The read scenarios: the same paths on the API and on the limit (bench/limit_wsgi.py)."""
    return {
        "market_list": "/api/v1/market/prompts/?ordering=-trust&page_size=50",
        "reputation": f"/api/v1/prompts/{fx['hot_prompt']}/reputation/",
    }


def pair_capacity(fx: dict[str, Any], scenario: str) -> int:
    """How many writes of a scenario have distinct (buyer, target) pairs; bench/run.py gives
    each run its own slice of them."""
    buyers = len(fx["buyers"])
    if scenario in ("buy", "buy_hot"):
        return buyers * (len(fx["listings"]) // 2)
    if scenario == "rate":
        return buyers * len(fx["rate_prompts"])
    return 10**9  # steps never collide: every chain takes any number of steps


def write_request(fx: dict[str, Any], scenario: str, j: int) -> tuple[str, dict, str]:
    """The j-th write of a scenario: (path, JSON body, token). Pairs never repeat below
    ``pair_capacity``: for ``buy`` buyer j % B buys listing (j // B + 7b) mod L of the first
    half of the listings, so one buyer never buys one listing twice and consecutive (hence
    concurrent) requests come from distinct buyers and listings; for ``buy_hot`` the B buyers
    in turn all buy listing (j // B) of the second half, so the concurrent requests queue on
    one listing row."""
    buyers = fx["buyers"]
    b = j % len(buyers)
    rnd = j // len(buyers)
    buyer = buyers[b]
    token = fx["tokens"][str(buyer["owner"])]
    half = len(fx["listings"]) // 2
    if scenario == "buy":
        listing = fx["listings"][(rnd + 7 * b) % half]
        return f"/api/v1/market/prompts/{listing}/buy/", {"buyer": buyer["id"]}, token
    if scenario == "buy_hot":
        listing = fx["listings"][half + rnd % half]
        return f"/api/v1/market/prompts/{listing}/buy/", {"buyer": buyer["id"]}, token
    if scenario == "rate":
        prompt = fx["rate_prompts"][(rnd + 13 * b) % len(fx["rate_prompts"])]
        body = {
            "rater": buyer["id"],
            "ritual_effectiveness": round((j % 97) / 96, 3),
            "assistant_approval": round((j % 89) / 88, 3),
            "user_rating_tags": ["clear"],
            "symbolic_tags": ["myth"],
        }
        return f"/api/v1/prompts/{prompt}/rate/", body, token
    if scenario == "step":
        chain = fx["chains"][j % len(fx["chains"])]
        body = {
            "reflection_notes": f"bench step {j}",
            "memory_snapshot": {"j": j, "mood": "calm"},
            "belief_delta": round(((j % 21) - 10) / 10, 2),
        }
        return f"/api/v1/train/chains/{chain['id']}/step/", body, fx["tokens"][str(chain["owner"])]
    raise ValueError(scenario)


def prepare(path: Path) -> None:
    from django.contrib.auth.models import User
    from django.db.models import Max
    from knox.models import AuthToken

    from bench.seed_scale import hot_ids
    from core.models import Prompt
    from economy.models import PromptTokenListing
    from economy.services import assistant_open
    from training.models import SwarmTrainingChain
    from training.services import chain_create

    tokens: dict[str, str] = {}
    users = []
    for i in range(BENCH_USERS):
        user, _ = User.objects.get_or_create(username=f"bench-user-{i}")
        users.append(user)
        _, token = AuthToken.objects.create(user=user)
        tokens[str(user.pk)] = token
    buyers = []
    for b in range(BUYERS):
        owner = users[b % BENCH_USERS]
        a = assistant_open(owner=owner, name=f"bench-buyer-{b}")
        buyers.append({"id": a.pk, "owner": owner.pk})
    _top_up([b["id"] for b in buyers])
    # Paid listings (up to MAX_COST_CENTS), spread over the table (not only the newest).
    paid = PromptTokenListing.objects.filter(
        is_active=True, token_cost_cents__gt=0, token_cost_cents__lte=MAX_COST_CENTS
    )
    top = paid.aggregate(m=Max("pk"))["m"] or 0
    listings = list(
        paid.filter(pk__lte=top).order_by("-pk").values_list("pk", flat=True)[:MAX_LISTINGS]
    )
    # Public prompts not for sale, to rate (any assistant may rate those).
    rate_prompts = list(
        Prompt.objects.filter(is_public=True)
        .exclude(listings__is_active=True, listings__token_cost_cents__gt=0)
        .order_by("-pk")
        .values_list("pk", flat=True)[:4000]
    )
    chains = []
    for c in range(CHAINS):
        seed = buyers[c % len(buyers)]
        partner = buyers[(c + BENCH_USERS) % len(buyers)]
        chain = chain_create(
            seed_assistant=_assistant(seed["id"]),
            chain_title=f"bench chain {c}",
            involved_assistant_ids=[seed["id"], partner["id"]],
        )
        chains.append({"id": chain.pk, "owner": seed["owner"]})
    hot = hot_ids()
    fx = {
        "tokens": tokens,
        "buyers": buyers,
        "listings": listings,
        "rate_prompts": rate_prompts,
        "chains": chains,
        "hot_prompt": hot["prompt"],
        "hot_chain": hot["chain"],
        "hot_prompt_ratings": Prompt.objects.get(pk=hot["prompt"]).rating_count,
        "hot_chain_reflections": SwarmTrainingChain.objects.get(pk=hot["chain"]).current_step,
        "reserved_pairs": RESERVED_PAIRS,
    }
    path.write_text(json.dumps(fx))
    print(
        f"prepared: {len(buyers)} buyers, {len(listings)} listings, {len(rate_prompts)} "
        f"prompts to rate, {len(chains)} chains; hot prompt {fx['hot_prompt']} "
        f"({fx['hot_prompt_ratings']} ratings), hot chain {fx['hot_chain']} "
        f"({fx['hot_chain_reflections']} reflections)"
    )


def _top_up(assistant_ids: list[int]) -> None:
    from django.db import transaction
    from django.db.models import F

    from economy.models import LedgerEntry, Wallet

    with transaction.atomic():
        wallets = Wallet.objects.filter(assistant_id__in=assistant_ids)
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                kind=LedgerEntry.Kind.GRANT,
                payee_id=pk,
                amount_cents=TOP_UP_CENTS,
                reference="bench:top-up",
            )
            for pk in wallets.values_list("pk", flat=True)
        )
        wallets.update(balance_cents=F("balance_cents") + TOP_UP_CENTS)


def _assistant(pk: int):
    from core.models import Assistant

    return Assistant.objects.get(pk=pk)


def queries(path: Path, out: Path) -> None:
    """Each scenario once (after a warm-up call), in-process, counting SQL queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    fx = json.loads(path.read_text())
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    counts: dict[str, Any] = {}
    for name, url in scenario_urls(fx).items():
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(url)
        counts[name] = {"queries": len(ctx.captured_queries), "status": r.status_code}
    for j, name in enumerate(("buy", "buy_hot", "rate", "step")):
        for k in range(2):  # the second call is the one counted (caches warm, like the load)
            url, body, token = write_request(fx, name, j * 4 + k)
            with CaptureQueriesContext(connection) as ctx:
                r = client.post(
                    url,
                    data=json.dumps(body),
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Token {token}",
                )
        counts[name] = {"queries": len(ctx.captured_queries), "status": r.status_code}
        if r.status_code >= 300:
            counts[name]["error"] = r.content.decode()[:300]
    out.write_text(json.dumps(counts, indent=2))
    for name, c in counts.items():
        print(f"  {name:20} {c['queries']:>3} queries  (HTTP {c['status']})")


def invariants(out: Path) -> None:
    """The economy's ledger invariants: balance = credits - debits for every wallet, no
    balance below zero, sum of balances = sum of grants, one licence per (assistant, prompt)."""
    from django.db.models import Count, Sum

    from core.models import PromptLicence
    from economy.models import LedgerEntry, Wallet

    credits = dict(
        LedgerEntry.objects.filter(payee__isnull=False)
        .values_list("payee_id")
        .annotate(s=Sum("amount_cents"))
        .values_list("payee_id", "s")
    )
    debits = dict(
        LedgerEntry.objects.filter(payer__isnull=False)
        .values_list("payer_id")
        .annotate(s=Sum("amount_cents"))
        .values_list("payer_id", "s")
    )
    mismatched = 0
    negative = 0
    total = 0
    for wid, balance in Wallet.objects.values_list("pk", "balance_cents").iterator(10_000):
        total += balance
        negative += balance < 0
        if balance != credits.get(wid, 0) - debits.get(wid, 0):
            mismatched += 1
    grants = (
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.GRANT).aggregate(s=Sum("amount_cents"))[
            "s"
        ]
        or 0
    )
    duplicate_licences = (
        PromptLicence.objects.values("assistant_id", "prompt_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    result = {
        "wallets_mismatched": mismatched,
        "negative_balances": negative,
        "sum_balances_cents": total,
        "sum_grants_cents": grants,
        "duplicate_licences": duplicate_licences,
        "purchases": LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PROMPT_PURCHASE).count(),
    }
    result["ok"] = mismatched == 0 and negative == 0 and total == grants and duplicate_licences == 0
    out.write_text(json.dumps(result, indent=2))
    print(f"  ledger invariants: {result}")


def main(argv: list[str]) -> None:
    django.setup()
    step = argv[1]
    if step == "prepare":
        prepare(Path(argv[2]))
    elif step == "queries":
        queries(Path(argv[2]), Path(argv[3]))
    elif step == "invariants":
        invariants(Path(argv[2]))
    else:
        raise SystemExit(f"unknown step {step}")


if __name__ == "__main__":
    main(sys.argv)
