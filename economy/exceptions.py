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


class NotLicensed(Forbidden):
    code = "not_licensed"
    message = "The assistant needs a licence for this prompt."
