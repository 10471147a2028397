"""Mentorship and curriculum errors, each with a stable code (see core.exceptions)."""

from core.exceptions import Conflict, Forbidden, InvalidInput


class NotAMentor(Conflict):
    code = "not_a_mentor"
    message = "This assistant has not opted in as a mentor."


class PromptNotOffered(InvalidInput):
    code = "prompt_not_offered"
    message = "The mentor does not offer this prompt."


class PromptNotOwn(InvalidInput):
    code = "prompt_not_own"
    message = "A mentor may offer only its own public prompts."


class CannotMentorSelf(InvalidInput):
    code = "cannot_mentor_self"
    message = "An assistant cannot adopt prompts from itself."


class RitualNotOwn(InvalidInput):
    code = "ritual_not_own"
    message = "A bundle may group only rituals of the bundle owner's user."


class OutOfRange(InvalidInput):
    code = "out_of_range"
    message = "Each codex_alignment value must be a number in [0, 1]."


class NotAdopted(Forbidden):
    code = "not_adopted"
    message = "Only free curricula, or ones the assistant has adopted, can be cloned."


class CannotCloneOwn(InvalidInput):
    code = "cannot_clone_own"
    message = "A curator cannot clone its own curriculum."


class CannotBarterOwn(InvalidInput):
    code = "cannot_barter_own"
    message = "An assistant cannot barter with its own curriculum."


class NotYourCurriculum(InvalidInput):
    code = "not_your_curriculum"
    message = "The offerer must be the curator of the offered curriculum."


class OfferClosed(Conflict):
    code = "offer_closed"
    message = "The offer is no longer pending."


class OfferStale(Conflict):
    code = "offer_stale"
    message = "A curriculum of this offer changed or left the market since the offer was made."
