import factory

from economy.models import PromptLicence, PromptTokenListing
from tests.factories import AssistantFactory, PromptFactory


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromptTokenListing

    prompt = factory.SubFactory(PromptFactory)
    token_cost_cents = 500
    symbolic_tag_weight = 0.4
    codex_usage_score = 0.6


class LicenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromptLicence

    assistant = factory.SubFactory(AssistantFactory)
    prompt = factory.SubFactory(PromptFactory)
