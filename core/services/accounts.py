"""Users and assistants."""

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from ..exceptions import (
    Unique,
)
from ..models import (
    Assistant,
)
from ..unset import UNSET, Unset, given


@transaction.atomic
def user_register(*, username: str, password: str, email: str = "") -> User:
    """Usernames are unique after NFKC normalisation and case folding: ``ALICE``, fullwidth
    or not, beside ``alice`` is 400 ``unique``. The claim's unique index settles two registrations of
    one name racing: one user is created, the other gets the same 400."""
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, password=password, email=email)
    except IntegrityError:  # a concurrent registration claimed the name first
        raise Unique(field="username") from None


@transaction.atomic
def assistant_create(*, owner: User, name: str, description: str = "") -> Assistant:
    """The assistant row alone; ``economy.services.assistant_open`` adds its wallet."""
    return Assistant.objects.create(owner=owner, name=name, description=description)


def assistant_update(
    *, assistant: Assistant, name: str | Unset = UNSET, description: str | Unset = UNSET
) -> Assistant:
    """Rename or redescribe an assistant; only the fields given are written."""
    fields = given(name=name, description=description)
    for key, value in fields.items():
        setattr(assistant, key, value)
    assistant.save(update_fields=[*fields.keys()])
    return assistant
