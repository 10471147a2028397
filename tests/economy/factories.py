import factory

from core.models import PromptLicence
from core.services import licence_grant
from economy.models import PromptTokenListing
from economy.services import listing_create
from tests.factories import AssistantFactory, PromptFactory


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromptTokenListing

    prompt = factory.SubFactory(PromptFactory)
    token_cost_cents = 500
    symbolic_tag_weight = 0.4
    codex_usage_score = 0.6

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the service, so the prompt's is_listed / is_for_sale follow the listing.
        return listing_create(**kwargs)


class LicenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromptLicence

    assistant = factory.SubFactory(AssistantFactory)
    prompt = factory.SubFactory(PromptFactory)
    source = PromptLicence.Source.PURCHASE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the service, so the licence records the prompt's newest version.
        return licence_grant(**kwargs)
