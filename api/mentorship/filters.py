import django_filters

from api.filters import IdFilter, IsoDateTimeFilter
from mentorship.models import (
    BarterOffer,
    PromptCurriculumVault,
    PromptMentorshipLog,
    RitualTagBundle,
)


class MentorshipFilter(django_filters.FilterSet):
    mentor = IdFilter(field_name="mentor_id")
    mentee = IdFilter(field_name="mentee_id")
    created_after = IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )

    class Meta:
        model = PromptMentorshipLog
        fields = ["mentor", "mentee", "created_after", "created_before"]


class RitualTagBundleFilter(django_filters.FilterSet):
    owner = IdFilter(field_name="owner_id")
    tag_name = django_filters.CharFilter(max_length=50)
    ritual = IdFilter(field_name="rituals", help_text="Bundles containing this ritual.")

    class Meta:
        model = RitualTagBundle
        fields = ["owner", "tag_name", "ritual"]


class PromptCurriculumVaultFilter(django_filters.FilterSet):
    curator = IdFilter(field_name="curator_id")
    bundle = IdFilter(field_name="ritual_tags", help_text="Curricula containing this bundle.")
    is_active = django_filters.BooleanFilter()
    free = django_filters.BooleanFilter(method="filter_free", help_text="Cost zero (or not).")

    class Meta:
        model = PromptCurriculumVault
        fields = ["curator", "bundle", "is_active", "free"]

    def filter_free(self, qs, name, value):
        return qs.filter(token_cost_cents=0) if value else qs.filter(token_cost_cents__gt=0)


class BarterOfferFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=BarterOffer.Status.choices)
    offerer = IdFilter(field_name="offerer_id")
    target_curriculum = IdFilter(field_name="target_curriculum_id")
    offered_curriculum = IdFilter(field_name="offered_curriculum_id")

    class Meta:
        model = BarterOffer
        fields = ["status", "offerer", "target_curriculum", "offered_curriculum"]
