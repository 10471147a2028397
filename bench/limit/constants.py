"""The limit's bounds (page sizes, tag and note lengths, the histogram and inline-entry
limits) and the values it shares with the domain and the API: the money pattern and ceiling of
``api.fields.MoneyField`` and ``core.events``' order lock and NOTIFY channel, copied here
because those modules need Django's app registry; ``tests/perf/test_limit_equivalence.py``
checks that they are equal."""

from __future__ import annotations

import re

TAG_HISTOGRAM_LIMIT = 100
REPUTATION_ENTRIES_INLINE = 50
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
TOKEN_KEY_LENGTH = 15
MAX_TAGS, MAX_TAG_LENGTH = 20, 50
MAX_NOTES = 20_000
MEMORY_SNAPSHOT_MAX_BYTES = 64 * 1024
MONEY_RE = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?", re.ASCII)  # api.fields.MoneyField's
MAX_TOKENS_CENTS = 10**14
# core.events' order lock and NOTIFY channel (that module needs the app registry; the
# equivalence test checks these are its values).
EVENT_ORDER_LOCK = 0x6D797468
EVENTS_CHANNEL = "mythos_events"
