from core.exceptions import Conflict, Forbidden, InvalidInput


class NotYourTurn(Forbidden):
    code = "not_your_turn"
    message = (
        "Only the owner of the assistant whose turn it is, or of the seed assistant, may step."
    )


class ChainCompleted(Conflict):
    code = "chain_completed"
    message = "The chain has reached its max_steps."


class StaleStep(Conflict):
    code = "stale_step"
    message = "expected_step differs from the chain's current_step."


class DoesNotExist(InvalidInput):
    """An unknown assistant id, with the code DRF's own related fields answer."""

    code = "does_not_exist"
    message = "Unknown assistant."
