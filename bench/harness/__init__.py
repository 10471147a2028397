"""The pieces of ``make bench`` (the entry point: ``python -m bench.run``): ``common`` (paths,
scenarios, labels, targets, the log and the subprocess runner), ``databases`` (the bench
database made, migrated, seeded and prepared; the cache; the ledger invariants), ``serving``
(gunicorn on loopback, health, warm-up), ``load`` (one locust run and its statistics, the
disjoint write slices, the spread of ratios), ``sides`` (each size on PostgreSQL, API against
the limit, and on SQLite, API only) and ``report`` (the machine, the markdown, the
figures section of docs/performance.md).
"""
