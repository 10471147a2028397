"""The pieces of ``bench.seed_scale`` (the entry point: ``python -m bench.seed_scale`` or
``seed_scale(...)``): ``sizes`` (the named sizes, tags and clauses), ``inserter`` (COPY or
batched executemany of plain rows), ``base`` (one run's state and helpers), one module per
domain of the swarm (``accounts``: users and assistants; ``prompts``: prompts, versions,
ratings and listings; ``economy``: wallets, grants and purchases; ``training``: mutation rings
and chains with reflections) and ``seeder`` (the run in order, then sequences and statistics).
"""
