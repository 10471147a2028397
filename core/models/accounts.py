"""Assistants and the users' canonical usernames (kept unique after normalisation)."""

import unicodedata

from django.conf import settings
from django.db import models
from django.db.models.signals import post_save
from django.dispatch import receiver


class Assistant(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="assistants", on_delete=models.CASCADE
    )
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


def username_canonical(username: str) -> str:
    """The form two usernames are compared in: NFKC, case-folded, NFKC again (so fullwidth
    ``ALICE``, ``ALICE`` and ``alice`` are one name; folding can un-normalise, hence the second pass)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


class UsernameClaim(models.Model):
    """A user's name in canonical form. Its unique index is what keeps usernames unique after
    normalisation, even when two registrations of one name race."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        related_name="username_claim",
        on_delete=models.CASCADE,
    )
    canonical = models.TextField(unique=True)

    def __str__(self) -> str:
        return self.canonical


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _username_claim_keep(sender, instance, created, update_fields=None, **kwargs) -> None:
    # Every path that saves a user (API, admin, createsuperuser) claims its canonical name.
    if update_fields is not None and "username" not in update_fields:
        return
    canonical = username_canonical(instance.username)
    if created:
        UsernameClaim.objects.create(user=instance, canonical=canonical)
    else:
        UsernameClaim.objects.update_or_create(user=instance, defaults={"canonical": canonical})
