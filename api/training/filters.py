import django_filters

from api.filters import BoundedNumberFilter, IdFilter
from training.models import PromptMutationRing, SwarmTrainingChain
from training.selectors import chains_involving


class ChainFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=SwarmTrainingChain.Status.choices)
    seed_assistant = IdFilter(field_name="seed_assistant_id")
    involved_assistant = IdFilter(
        method="filter_involved", help_text="Chains this assistant takes part in."
    )

    class Meta:
        model = SwarmTrainingChain
        fields = ["status", "seed_assistant", "involved_assistant"]

    def filter_involved(self, qs, name, value):
        return chains_involving(qs, value)


class MutationFilter(django_filters.FilterSet):
    parent = IdFilter(field_name="parent_prompt_id")
    mutated = IdFilter(field_name="mutated_prompt_id")
    min_delta = BoundedNumberFilter(field_name="belief_delta", lookup_expr="gte")
    max_delta = BoundedNumberFilter(field_name="belief_delta", lookup_expr="lte")
    mutation_step = IdFilter(field_name="mutation_step")

    class Meta:
        model = PromptMutationRing
        fields = ["parent", "mutated", "min_delta", "max_delta", "mutation_step"]
