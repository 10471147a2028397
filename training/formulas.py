"""Training's derived numbers (SPEC 5): one pure function per formula, named after it."""

import math
from collections.abc import Mapping, Sequence


def codex_tension_population_stddev(
    *, tracker: Mapping[str, float], involved_ids: Sequence[int]
) -> float:
    """codex_tension = the population standard deviation of the belief-delta tracker over ALL
    involved assistants, a missing entry counting as 0:

        mean = Σ x_i / n,   codex_tension = sqrt(Σ (x_i - mean)² / n)
    """
    values = [float(tracker.get(str(i), 0.0)) for i in involved_ids]
    if not values:
        return 0.0
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((x - mean) ** 2 for x in values) / len(values))
