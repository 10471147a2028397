"""Writes of mentorship and the curriculum market, one module per resource; this package
re-exports their public names. Keyword-only, one transaction each; each docstring states the rule
it enforces. They never see a request. A module here imports its siblings, never this package.
"""

from .adoptions import (
    CurriculumSale,
    curriculum_buy,
    curriculum_clone,
)
from .barters import (
    barter_offer_accept,
    barter_offer_cancel,
    barter_offer_create,
    barter_offer_decline,
)
from .bundles import (
    bundle_create,
    bundle_delete,
    bundle_update,
)
from .curricula import (
    EXPORT_FORMAT_VERSION,
    codex_alignment_validate,
    curricula_export_rebuild,
    curriculum_create,
    curriculum_delete,
    curriculum_export_build,
    curriculum_state_marker,
    curriculum_update,
)
from .mentors import (
    mentor_tag_delete,
    mentor_tag_set,
    mentorship_adopt,
    mentorship_feedback,
)

__all__ = [
    "EXPORT_FORMAT_VERSION",
    "CurriculumSale",
    "barter_offer_accept",
    "barter_offer_cancel",
    "barter_offer_create",
    "barter_offer_decline",
    "bundle_create",
    "bundle_delete",
    "bundle_update",
    "codex_alignment_validate",
    "curricula_export_rebuild",
    "curriculum_buy",
    "curriculum_clone",
    "curriculum_create",
    "curriculum_delete",
    "curriculum_export_build",
    "curriculum_state_marker",
    "curriculum_update",
    "mentor_tag_delete",
    "mentor_tag_set",
    "mentorship_adopt",
    "mentorship_feedback",
]
