import hashlib
import unicodedata

from django.conf import settings
from django.db import models
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone


def content_hash(body: str) -> str:
    """SHA-256 of the prompt body (UTF-8), hex encoded."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


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


class PromptLicence(models.Model):
    """Who may read a for-sale body, fork it and rate it. One per (assistant, prompt).

    Granted by economy and mentorship (purchase, mentorship, curriculum) at the prompt's newest
    ``version``; while ``active`` its holder reads that version and every later one."""

    class Source(models.TextChoices):
        PURCHASE = "purchase", "purchase"
        MENTORSHIP = "mentorship", "mentorship"
        CURRICULUM = "curriculum", "curriculum"
        GRANT = "grant", "grant"

    class State(models.TextChoices):
        ACTIVE = "active", "active"
        REFUNDED = "refunded", "refunded"

    assistant = models.ForeignKey(Assistant, related_name="licences", on_delete=models.CASCADE)
    prompt = models.ForeignKey(Prompt, related_name="licences", on_delete=models.PROTECT)
    version = models.ForeignKey(PromptVersion, related_name="licences", on_delete=models.PROTECT)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.PURCHASE)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Moved from economy with its data: the table keeps its name.
        db_table = "economy_promptlicence"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assistant", "prompt"], name="licence_unique_assistant_prompt"
            )
        ]

    def __str__(self) -> str:
        return f"licence {self.assistant_id}:{self.prompt_id}"


class Ritual(models.Model):
    owner = models.ForeignKey(Assistant, related_name="rituals", on_delete=models.CASCADE)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True, default="")
    codex_clauses = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class RitualStep(models.Model):
    """One ordered step of a ritual: the prompt to run at ``position`` (0-based)."""

    ritual = models.ForeignKey(Ritual, related_name="steps", on_delete=models.CASCADE)
    position = models.PositiveIntegerField()
    prompt = models.ForeignKey(Prompt, related_name="ritual_steps", on_delete=models.PROTECT)

    class Meta:
        ordering = ["ritual", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["ritual", "position"], name="ritual_step_unique_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ritual_id}#{self.position}"


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


class Event(models.Model):
    """Something another party cares about happened (SPEC 8): written by ``core.events.event_emit``
    in the transaction of the change it records (an outbox), never edited. ``id`` is the stream
    position: clients resume after it."""

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.pk} {self.type}"


class EventRecipient(models.Model):
    """A user an event is addressed to; a user's feed is its rows in event order."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(Event, related_name="recipients", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="event_deliveries", on_delete=models.CASCADE
    )

    class Meta:
        ordering = ["event"]
        # The feed and the stream read by user in event order; emit never repeats a user.
        indexes = [models.Index(fields=["user", "event"], name="event_recipient_user_idx")]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.user_id}"


class WebhookEndpoint(models.Model):
    """A URL a user asked to receive its events at (SPEC 8), signed with ``secret``.

    ``types`` filters by event type (empty: every type). During a rotation the old secret keeps
    signing beside the new one until ``previous_secret_expires_at``. ``failing_since`` is the
    first failed attempt with no success after it: the endpoint is disabled when it gets too old.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="webhook_endpoints", on_delete=models.CASCADE
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=500, blank=True, default="")
    types = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        # event_emit looks up the active endpoints of an event's recipients on every event.
        indexes = [models.Index(fields=["owner", "is_active"], name="webhook_owner_active_idx")]

    def __str__(self) -> str:
        return f"{self.pk} {self.url}"


class WebhookDelivery(models.Model):
    """One event to send to one endpoint; retried on the job worker until it succeeds or gives up.

    ``claimed_until`` is the lease of the worker sending the current attempt: while it is in the
    future no other worker may send this delivery."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(Event, related_name="webhook_deliveries", on_delete=models.CASCADE)
    endpoint = models.ForeignKey(
        WebhookEndpoint, related_name="deliveries", on_delete=models.CASCADE
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["endpoint", "id"], name="webhook_delivery_endpoint_idx")]

    def __str__(self) -> str:
        return f"{self.pk} {self.event_id} → {self.endpoint_id} {self.status}"


class WebhookAttempt(models.Model):
    """One try at sending a delivery: when, what the receiver answered, how long it took."""

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(
        WebhookDelivery, related_name="attempt_log", on_delete=models.CASCADE
    )
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} @ {self.attempted_at} {self.status_code or self.error}"
