"""Prompts, their immutable versions and movable labels, and codex clauses."""

import hashlib

from django.db import models
from django.utils import timezone

from .accounts import Assistant


def content_hash(body: str) -> str:
    """SHA-256 of the prompt body (UTF-8), hex encoded."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class CodexClause(models.Model):
    code = models.SlugField(max_length=50, unique=True)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Prompt(models.Model):
    author = models.ForeignKey(Assistant, related_name="prompts", on_delete=models.CASCADE)
    title = models.CharField(max_length=150)
    body = models.TextField()
    tags = models.JSONField(default=list, blank=True)
    codex_clauses = models.JSONField(default=list, blank=True)
    is_public = models.BooleanField(default=True)
    forked_from = models.ForeignKey(
        "self", null=True, blank=True, related_name="forks", on_delete=models.SET_NULL
    )
    # The version of ``forked_from`` this fork copied.
    forked_from_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    content_hash = models.CharField(max_length=64, editable=False, db_index=True)
    # The newest PromptVersion's number; versions are written by core.services only.
    version = models.PositiveIntegerField(default=1, editable=False)
    # Market facts core's access rules need, kept by economy's listing services in their
    # transaction: an active listing exists (is_listed), and it costs more than 0 (is_for_sale).
    is_listed = models.BooleanField(default=False, editable=False)
    is_for_sale = models.BooleanField(default=False, editable=False)
    # Reputation aggregate, kept by economy.services in the rating's transaction:
    # trust_score = (C*m + rating_sum) / (C + rating_count).
    trust_score = models.FloatField(default=0.5, editable=False)
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    rating_sum = models.FloatField(default=0.0, editable=False)
    fork_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["author", "-id"], name="prompt_author_idx"),
            models.Index(fields=["is_public", "-id"], name="prompt_public_idx"),
            models.Index(fields=["-trust_score", "-id"], name="prompt_trust_idx"),
            models.Index(fields=["-rating_count", "-id"], name="prompt_rating_count_idx"),
            models.Index(fields=["-fork_count", "-id"], name="prompt_fork_count_idx"),
            models.Index(fields=["forked_from", "-id"], name="prompt_forked_from_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.content_hash = content_hash(self.body)
        super().save(*args, **kwargs)


class PromptVersion(models.Model):
    """One immutable state of a prompt's text. Never updated or deleted (see ``save``/``delete``);
    it goes only with its prompt."""

    prompt = models.ForeignKey(Prompt, related_name="versions", on_delete=models.CASCADE)
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=150)
    body = models.TextField()
    tags = models.JSONField(default=list, blank=True)
    codex_clauses = models.JSONField(default=list, blank=True)
    content_hash = models.CharField(max_length=64, editable=False)
    message = models.CharField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        Assistant, related_name="prompt_versions", on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["prompt", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["prompt", "number"], name="prompt_version_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prompt_id} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Prompt versions are immutable")
        self.content_hash = content_hash(self.body)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Prompt versions are immutable")


class PromptLabel(models.Model):
    """A movable name (``live``, ``staging``, any slug) for one of a prompt's versions."""

    prompt = models.ForeignKey(Prompt, related_name="labels", on_delete=models.CASCADE)
    name = models.SlugField(max_length=50)
    version = models.ForeignKey(PromptVersion, related_name="labels", on_delete=models.CASCADE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["prompt", "name"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "name"], name="prompt_label_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.prompt_id}@{self.name}"
