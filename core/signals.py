"""Signals other domains listen to when core records they snapshot change.

Core must not import the apps built on it; a curriculum's ``exported_json`` (mentorship)
snapshots rituals and prompts, so it subscribes here instead.
"""

from django.dispatch import Signal

# Sent inside the writing transaction, with ``ritual_id`` / ``prompt_id``.
ritual_changed = Signal()
prompt_changed = Signal()
