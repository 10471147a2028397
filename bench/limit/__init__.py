"""The limit: the bench's scenarios answered by a plain WSGI app (no Django, no DRF) with
psycopg 3 and orjson, served by the same gunicorn as the API in ``make bench``
(``bench.limit_wsgi:application``).

It answers the same JSON and writes the same rows as the API for:

- ``GET /api/v1/market/prompts/?ordering=-trust&page_size=50`` (anonymous; the same envelope,
  links, cached counts);
- ``GET /api/v1/prompts/{id}/reputation/`` (anonymous);
- ``POST /api/v1/market/prompts/{id}/buy/`` (``economy.services.listing_buy``);
- ``POST /api/v1/prompts/{id}/rate/`` (``economy.services.prompt_rate``);
- ``POST /api/v1/train/chains/{id}/step/`` (``training.services.chain_step`` without mutation),

with knox token authentication as knox does it (token_key prefix, digest compare, expiry),
the same refusals (status, error code, detail, attr) and as few round trips as it can: a
purchase and a rating are one statement each after the token look-up, their events included
(``core.events.event_emit``'s rows, order lock and NOTIFY, in ``sql_events.events_sql``). Each
write's SQL is one named function (``sql_purchase.purchase_sql``, ``sql_writes.rating_sql``,
``sql_writes.step_sql``): when the API's write changes, change it there;
``tests/perf/test_limit_equivalence.py`` fails until both agree.

It is the floor the API is measured against, not an endpoint: no throttles, no
``Idempotency-Key``, no filters, reads as an anonymous caller, PostgreSQL only. Error codes and
messages come from the domain's exception classes, which import nothing from Django.

The modules: ``constants`` (limits and the domain's shared values), ``refusals`` (the error
answers), ``inputs`` (request body fields validated as the API's serializers do), the SQL
(``sql_reads``, ``sql_events``, ``sql_purchase``, ``sql_writes``), the handlers (``base``:
connection, body, token; ``reads``; ``writes``: buy and rate; ``step``) and ``app``
(``LimitApp``: routing and the WSGI call).
"""

import os

# The formulas and their constants are the domain's own: reading django.conf.settings loads the
# settings module once per process (no app registry, no ORM), so nothing is copied here.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
