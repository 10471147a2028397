from core.exceptions import Conflict, Forbidden, InvalidInput


class InsufficientFunds(Conflict):
    code = "insufficient_funds"
    message = "The wallet does not hold enough tokens."


class AlreadyOwned(Conflict):
    code = "already_owned"
    message = "The assistant already holds a licence for this."


class ListingInactive(Conflict):
    code = "listing_inactive"
    message = "The listing is no longer active."


class CannotBuyOwn(InvalidInput):
    code = "cannot_buy_own"
    message = "An assistant cannot buy its own prompt."


class CannotRateOwn(InvalidInput):
    code = "cannot_rate_own"
    message = "An assistant cannot rate a prompt of its own user."


class AlreadyListed(Conflict):
    code = "already_listed"
    message = "The prompt already has an active listing; update or delist it first."


class PromptNotPublic(InvalidInput):
    code = "prompt_not_public"
    message = "Only public prompts can be listed on the market."


class InvalidSignature(InvalidInput):
    code = "invalid_signature"
    message = "The vault's signature or content does not verify."


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used for a different request."


class IdempotencyRequestInProgress(Conflict):
    code = "idempotency_request_in_progress"
    message = "A request with this Idempotency-Key is still being processed; retry shortly."


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"
    message = "The Idempotency-Key header must be 1 to 255 printable ASCII characters."


class PriceChanged(Conflict):
    code = "price_changed"
    message = "The price is no longer the expected_price; nothing was charged."


class VersionChanged(Conflict):
    code = "version_changed"
    message = "The prompt's newest version is no longer the expected_version; nothing was charged."


class AlreadyRefunded(Conflict):
    code = "already_refunded"
    message = "This purchase has been refunded already."


class RefundNotAllowed(Forbidden):
    code = "refund_not_allowed"
    message = "The buyer may not refund this purchase."
