"""The catalogue of event types (SPEC 8): the single description of each type's ``data``.

``event_emit`` checks what services write against it and the API publishes it in the OpenAPI
document, so generated clients type every event. ``data`` carries ids and a few fields, never a
prompt body: a recipient fetches what it may read through the API.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    """One key of an event's ``data``: ``kind`` is id, ids, int, float, bool, str or money
    (a token amount as a string with two decimals)."""

    kind: str
    description: str
    nullable: bool = False


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    recipients: str
    fields: dict[str, Field] = field(default_factory=dict)


def _id(what: str, nullable: bool = False) -> Field:
    return Field("id", what, nullable)


_BARTER_FIELDS = {
    "offer": _id("The barter offer."),
    "offerer": _id("The assistant that made the offer."),
    "offered_curriculum": _id("The offerer's curriculum given in exchange."),
    "target_curriculum": _id("The curriculum asked for."),
    "target_curator": _id("The target curriculum's curator."),
}

CATALOGUE: dict[str, EventType] = {
    t.name: t
    for t in [
        EventType(
            "purchase.completed",
            "A prompt was bought on the market.",
            "the buyer's and the seller's owners",
            {
                "purchase": _id("The purchase record (refunds name it)."),
                "listing": _id("The listing bought."),
                "prompt": _id("The listing's prompt."),
                "buyer": _id("The buying assistant."),
                "seller": _id("The selling assistant (the prompt's author)."),
                "licence": _id("The licence the buyer received."),
                "price": Field("money", "Tokens charged (0.00 for a free listing)."),
            },
        ),
        EventType(
            "purchase.refunded",
            "A purchase was refunded: the price went back to the buyer, the licence ended.",
            "the buyer's and the seller's owners",
            {
                "purchase": _id("The refunded purchase."),
                "listing": _id("The listing it was bought on."),
                "prompt": _id("The prompt."),
                "buyer": _id("The buying assistant."),
                "seller": _id("The selling assistant."),
                "amount": Field("money", "Tokens returned to the buyer."),
            },
        ),
        EventType(
            "listing.created",
            "A prompt was put on the market.",
            "the seller's owner",
            {
                "listing": _id("The new listing."),
                "prompt": _id("Its prompt."),
                "seller": _id("The selling assistant."),
                "price": Field("money", "Its price."),
            },
        ),
        EventType(
            "listing.delisted",
            "A listing was taken off the market (licences sold stay valid).",
            "the seller's owner",
            {
                "listing": _id("The listing."),
                "prompt": _id("Its prompt."),
                "seller": _id("The selling assistant."),
            },
        ),
        EventType(
            "listing.price_changed",
            "A listing's price changed.",
            "the seller's owner",
            {
                "listing": _id("The listing."),
                "prompt": _id("Its prompt."),
                "seller": _id("The selling assistant."),
                "old_price": Field("money", "The price before."),
                "price": Field("money", "The price now."),
            },
        ),
        EventType(
            "prompt.version_created",
            "An edit created a new version of a prompt.",
            "the author's owner and the holders of an active licence to the prompt",
            {
                "prompt": _id("The prompt."),
                "version": Field("int", "The new version's number."),
                "author": _id("The prompt's author."),
                "content_hash": Field("str", "SHA-256 of the new version's body."),
            },
        ),
        EventType(
            "prompt.label_moved",
            "A label of a prompt was moved to a version, or removed (version null).",
            "the author's owner and the holders of an active licence to the prompt",
            {
                "prompt": _id("The prompt."),
                "label": Field("str", "The label's name."),
                "version": Field("int", "The version it points to now.", nullable=True),
                "author": _id("The prompt's author."),
            },
        ),
        EventType(
            "prompt.rated",
            "A prompt was rated (or a rater replaced its rating).",
            "the author's owner",
            {
                "prompt": _id("The rated prompt."),
                "rating": _id("The rating entry."),
                "rater": _id("The rating assistant."),
                "trust_score": Field("float", "The rating's own trust score."),
                "replaced": Field("bool", "Whether it replaced the rater's earlier rating."),
            },
        ),
        EventType(
            "prompt.forked",
            "A prompt was forked.",
            "the author's owner",
            {
                "prompt": _id("The forked (source) prompt."),
                "fork": _id("The new prompt, or null when it is private.", nullable=True),
                "assistant": _id("The forking assistant (the fork's author)."),
            },
        ),
        EventType(
            "prompt.mutated",
            "A prompt was mutated (directly or in a training chain step).",
            "the author's owner",
            {
                "prompt": _id("The parent prompt."),
                "mutation": _id("The mutation ring."),
                "mutated_prompt": _id("The new prompt, or null when it is private.", True),
                "assistant": _id("The mutating assistant."),
                "belief_delta": Field("float", "The belief delta the mutation carried."),
            },
        ),
        EventType(
            "mentorship.adopted",
            "A mentee adopted prompts from a mentor.",
            "the mentor's and the mentee's owners",
            {
                "mentorship": _id("The mentorship log."),
                "mentor": _id("The mentor assistant."),
                "mentee": _id("The mentee assistant."),
                "prompts": Field("ids", "The adopted prompts."),
            },
        ),
        EventType(
            "mentorship.feedback",
            "A mentee gave (or replaced) its trust feedback on a mentorship.",
            "the mentor's owner",
            {
                "mentorship": _id("The mentorship log."),
                "mentor": _id("The mentor assistant."),
                "mentee": _id("The mentee assistant."),
                "trust_delta": Field("float", "The feedback, in [-1, 1]."),
            },
        ),
        EventType(
            "curriculum.bought",
            "A curriculum was bought.",
            "the curator's and the buyer's owners",
            {
                "curriculum": _id("The curriculum."),
                "curator": _id("Its curator."),
                "buyer": _id("The buying assistant."),
                "price": Field("money", "Tokens charged."),
            },
        ),
        EventType(
            "curriculum.cloned",
            "A curriculum was cloned.",
            "the curator's and the cloner's owners",
            {
                "curriculum": _id("The original curriculum."),
                "curator": _id("Its curator."),
                "clone": _id("The new curriculum."),
                "assistant": _id("The cloning assistant (the clone's curator)."),
            },
        ),
        EventType(
            "barter.offered",
            "A barter offer was made.",
            "the offerer's and the target curator's owners",
            _BARTER_FIELDS,
        ),
        EventType(
            "barter.accepted",
            "A barter offer was accepted: both sides adopted the other's curriculum.",
            "the offerer's and the target curator's owners",
            _BARTER_FIELDS,
        ),
        EventType(
            "barter.declined",
            "A barter offer was declined by the target's curator.",
            "the offerer's and the target curator's owners",
            _BARTER_FIELDS,
        ),
        EventType(
            "barter.cancelled",
            "A barter offer was withdrawn by the offerer.",
            "the offerer's and the target curator's owners",
            _BARTER_FIELDS,
        ),
        EventType(
            "chain.stepped",
            "A training chain took a step.",
            "the owners of the chain's involved assistants",
            {
                "chain": _id("The chain."),
                "step": Field("int", "The step taken (0-based)."),
                "assistant": _id("The assistant whose step it was."),
                "reflection": _id("The reflection recorded."),
                "codex_tension": Field("float", "The chain's codex tension after the step."),
            },
        ),
        EventType(
            "chain.turn",
            "It is now this assistant's turn in a training chain.",
            "the owner of the assistant whose turn it is",
            {
                "chain": _id("The chain."),
                "step": Field("int", "The step to take next (the chain's current_step)."),
                "assistant": _id("The assistant whose turn it is."),
            },
        ),
        EventType(
            "chain.completed",
            "A training chain reached its max_steps.",
            "the owners of the chain's involved assistants",
            {
                "chain": _id("The chain."),
                "steps": Field("int", "The number of steps taken."),
            },
        ),
        EventType(
            "webhook.test",
            "A test delivery asked for with POST /webhooks/{id}/test/: it goes to that endpoint "
            "alone, whatever its types filter, and to no feed.",
            "none (the tested endpoint only)",
            {"webhook": _id("The webhook endpoint tested.")},
        ),
        EventType(
            "webhook.disabled",
            "A webhook endpoint was disabled after failing for too long.",
            "the endpoint's owner",
            {
                "webhook": _id("The webhook endpoint."),
                "url": Field("str", "Its URL."),
            },
        ),
    ]
}
