"""Domain errors. Each carries a stable ``code``; the API layer maps the kinds to HTTP.

Domain code raises these and never knows about HTTP; ``api.exceptions`` turns them into
the one error shape (400 invalid, 403 forbidden, 404 not found, 409 conflict).
"""


class DomainError(Exception):
    code = "domain_error"
    message = "The request could not be completed."

    def __init__(
        self, message: str | None = None, *, code: str | None = None, field: str | None = None
    ):
        self.message = message or self.message
        if code:
            self.code = code
        self.field = field
        super().__init__(self.message)


class InvalidInput(DomainError):
    """The input is well-formed but breaks a rule (HTTP 400)."""

    code = "invalid"


class Forbidden(DomainError):
    """The caller may not do this (HTTP 403)."""

    code = "permission_denied"


class NotFound(DomainError):
    """The thing does not exist or is not visible to the caller (HTTP 404)."""

    code = "not_found"


class Conflict(DomainError):
    """The request conflicts with the current state (HTTP 409)."""

    code = "conflict"


class NotYourAssistant(Forbidden):
    code = "not_your_assistant"
    message = "You do not own the assistant you are acting as."


class UnknownCodexClause(InvalidInput):
    code = "unknown_codex_clause"
    message = "Unknown codex clause."


class PromptNotReadable(InvalidInput):
    code = "prompt_not_readable"
    message = "The assistant may not read this prompt's body."


class NotLicensed(Forbidden):
    code = "not_licensed"
    message = "The assistant needs a licence for this prompt."


class Listed(Conflict):
    code = "listed"
    message = "The prompt has an active listing: delist it first."


class UnknownVersion(InvalidInput):
    code = "unknown_version"
    message = "The prompt has no version with this number."


class Unique(InvalidInput):
    """A username already held, with the code DRF's own unique checks answer."""

    code = "unique"
    message = "This username is taken."


class ClauseInUse(Conflict):
    code = "clause_in_use"
    message = "Prompts, rituals, bundles or curricula still name this codex clause."


class UnknownEventType(InvalidInput):
    code = "unknown_event_type"
    message = "Unknown event type: see the event catalogue."


class WebhookUrlInsecure(InvalidInput):
    code = "webhook_url_insecure"
    message = "A webhook URL must use https (plain http only to loopback in development)."


class WebhookUrlUnresolvable(InvalidInput):
    code = "webhook_url_unresolvable"
    message = "The webhook URL's host does not resolve."


class WebhookUrlForbidden(InvalidInput):
    code = "webhook_url_forbidden"
    message = (
        "The webhook URL resolves to a private, loopback, link-local, multicast, reserved or "
        "metadata address."
    )


class WebhookInactive(Conflict):
    code = "webhook_inactive"
    message = "The webhook endpoint is not active."


class DeliverySucceeded(Conflict):
    code = "delivery_succeeded"
    message = "The delivery has already succeeded."


class DeliveryInFlight(Conflict):
    code = "delivery_in_flight"
    message = "An attempt of this delivery is being sent right now."
