"""bench.seed_scale fills a database whose derived numbers are the formulas' own, through the
same functions the services use, and refuses to seed over existing rows."""

from io import StringIO

import pytest
from django.db.models import Count, Sum

from bench.seed_scale import SeedError, main, seed_scale
from core.models import Prompt
from economy.formulas import bayesian_trust_score, reputation_trust_score
from economy.models import PromptReputationScore, PromptTokenListing
from tests.economy.helpers import assert_ledger_invariants
from training.formulas import codex_tension_population_stddev
from training.models import SwarmTrainingChain

pytestmark = pytest.mark.django_db


def test_seeded_aggregates_come_from_the_formulas(settings):
    # Weights and priors away from the defaults: a copy of a formula with its own numbers shows.
    settings.REPUTATION_WEIGHTS = {"ritual_effectiveness": 0.8, "assistant_approval": 0.2}
    settings.REPUTATION_PRIOR_WEIGHT = 3
    settings.REPUTATION_PRIOR_MEAN = 0.25
    out = StringIO()
    seed_scale(size="tiny", stdout=out)
    assert "seeded in" in out.getvalue()

    entries = list(PromptReputationScore.objects.all()[:200])
    assert entries
    for e in entries:
        assert e.trust_score == pytest.approx(
            reputation_trust_score(
                ritual_effectiveness=e.ritual_effectiveness, assistant_approval=e.assistant_approval
            )
        )
    sums = {
        row["prompt"]: row
        for row in PromptReputationScore.objects.values("prompt").annotate(
            n=Count("id"), total=Sum("trust_score")
        )
    }
    for p in Prompt.objects.all():
        row = sums.get(p.pk, {"n": 0, "total": 0.0})
        assert p.rating_count == row["n"]
        assert p.rating_sum == pytest.approx(row["total"])
        assert p.trust_score == pytest.approx(bayesian_trust_score(p.rating_sum, p.rating_count))

    chains = list(SwarmTrainingChain.objects.prefetch_related("participants"))
    assert chains
    for chain in chains:
        involved = [cp.assistant_id for cp in chain.participants.all()]
        assert chain.codex_tension == pytest.approx(
            codex_tension_population_stddev(
                tracker=chain.belief_delta_tracker, involved_ids=involved
            ),
            abs=1e-5,
        )
    for listing in PromptTokenListing.objects.annotate(n=Count("adoptions")):
        assert listing.adopter_count == listing.n
    assert_ledger_invariants()


def test_it_refuses_a_database_with_prompts_unless_told_to_append():
    seed_scale(size="tiny", prompts=50, ratings=100, stdout=StringIO())
    with pytest.raises(SeedError, match="already has prompts"):
        seed_scale(size="tiny", stdout=StringIO())
    with pytest.raises(SystemExit, match="already has prompts"):
        main(["--size", "tiny"])
    seed_scale(size="tiny", prompts=50, ratings=100, append=True, stdout=StringIO())
    assert Prompt.objects.count() == 100


def test_the_command_line_takes_the_counts(capsys):
    main(["--size", "tiny", "--prompts", "60", "--ratings", "120", "--chains", "3"])
    assert Prompt.objects.count() == 60
    assert SwarmTrainingChain.objects.count() == 3
    assert "seeded in" in capsys.readouterr().out
