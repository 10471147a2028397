"""Mentorship's derived numbers (SPEC 4): one pure function per formula, named after it."""

from economy.formulas import adopters_over_all_assistants


def mentor_score_sum_trust_delta_over_n_plus_3(*, trust_delta_sum: float, n: int) -> float:
    """mentor_score = Σ trust_delta / (n + 3), over the n mentorships that have feedback.

    The + 3 damps the score of mentors with few reviews towards 0.
    """
    return trust_delta_sum / (n + 3)


def curriculum_adoption_rate(*, adopter_count: int, assistants: int) -> float:
    """A curriculum's adoption_rate = distinct adopters / all assistants (in [0, 1]; 0.0 with no
    assistants): the market's adoption formula over the curriculum's adopters."""
    return adopters_over_all_assistants(adopters=adopter_count, assistants=assistants)


def bundle_adoption_metric(*, adopters: int, assistants: int) -> float:
    """A ritual bundle's adoption_metric = distinct adopters of the curricula containing it /
    all assistants (in [0, 1]; 0.0 with no assistants)."""
    return adopters_over_all_assistants(adopters=adopters, assistants=assistants)
