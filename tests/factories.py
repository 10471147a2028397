"""Factories for every model the suite builds. Assistants and prompts go through the services
so each assistant gets its wallet and grant and each prompt its version 1, as in production."""

import factory
from django.contrib.auth.models import User

from core import services
from core.models import Assistant, CodexClause, Prompt, Ritual
from economy.services import assistant_open

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AssistantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assistant

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"assistant-{n}")
    description = "An assistant."

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return assistant_open(**kwargs)


class CodexClauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CodexClause
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"clause-{n}")
    text = "Honour the codex."


class PromptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prompt

    author = factory.SubFactory(AssistantFactory)
    title = factory.Sequence(lambda n: f"Prompt {n}")
    body = factory.Sequence(lambda n: f"Reflect on belief number {n}.")
    tags = factory.LazyFunction(lambda: ["myth"])
    codex_clauses = factory.LazyFunction(list)
    is_public = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.prompt_create(**kwargs)


class RitualFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ritual

    owner = factory.SubFactory(AssistantFactory)
    name = factory.Sequence(lambda n: f"Ritual {n}")
    description = ""

    @classmethod
    def _create(cls, model_class, *args, steps=(), **kwargs):
        return services.ritual_create(steps=list(steps), **kwargs)
