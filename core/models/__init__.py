"""Models of core, one module per resource; this package re-exports them (Django finds them
here).
"""

from .accounts import Assistant, UsernameClaim, username_canonical
from .events import Event, EventRecipient
from .licences import PromptLicence
from .prompts import CodexClause, Prompt, PromptLabel, PromptVersion, content_hash
from .rituals import Ritual, RitualStep
from .webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Assistant",
    "CodexClause",
    "Event",
    "EventRecipient",
    "Prompt",
    "PromptLabel",
    "PromptLicence",
    "PromptVersion",
    "Ritual",
    "RitualStep",
    "UsernameClaim",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "content_hash",
    "username_canonical",
]
