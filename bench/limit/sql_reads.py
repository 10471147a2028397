"""The limit's read SQL: the anonymous market page (counts riding along unless cached), a
prompt's reputation in one row (means, tag histograms, newest entries as parallel arrays) and
the knox token look-up."""

from __future__ import annotations

from bench.limit.constants import REPUTATION_ENTRIES_INLINE, TAG_HISTOGRAM_LIMIT


def market_page_sql(order: str, with_counts: bool) -> str:
    """The anonymous market page: active listings of public prompts; the total and the number
    of assistants ride along as scalar subqueries unless both are cached."""
    counts = (
        """, (SELECT COUNT(*) FROM economy_prompttokenlisting l2
               JOIN core_prompt p2 ON p2.id = l2.prompt_id WHERE l2.is_active AND p2.is_public),
             (SELECT COUNT(*) FROM core_assistant)"""
        if with_counts
        else ""
    )
    return f"""
SELECT l.id, p.id, p.title, p.author_id, p.tags, p.trust_score, p.rating_count,
       CASE WHEN l.token_cost_cents > 0 THEN NULL ELSE p.body END,
       l.token_cost_cents, l.symbolic_tag_weight, l.codex_usage_score, l.adopter_count,
       l.is_active, l.listed_at, l.delisted_at{counts}
  FROM economy_prompttokenlisting l
  JOIN core_prompt p ON p.id = l.prompt_id
 WHERE l.is_active AND p.is_public
 ORDER BY {order}
 LIMIT %s OFFSET %s"""


def _histogram(field: str) -> str:
    return f"""(SELECT json_object_agg(tag, n ORDER BY n DESC, tag) FROM (
         SELECT t.tag, COUNT(*) AS n FROM economy_promptreputationscore s
          CROSS JOIN LATERAL jsonb_array_elements_text(s.{field}) AS t(tag)
          WHERE s.prompt_id = p.id GROUP BY t.tag ORDER BY COUNT(*) DESC, t.tag
          LIMIT {TAG_HISTOGRAM_LIMIT}) h)"""


def reputation_sql() -> str:
    """A public prompt's aggregate, means, tag histograms and newest entries in one row (the
    entries as parallel arrays, so timestamps and floats arrive as Python values)."""
    return f"""
SELECT p.id, p.trust_score, p.rating_count, m.re, m.aa, m.ts,
       {_histogram("user_rating_tags")}, {_histogram("symbolic_tags")},
       e.ids, e.raters, e.res, e.aas, e.urts, e.sts, e.tss, e.created
  FROM core_prompt p
  LEFT JOIN LATERAL (
       SELECT AVG(ritual_effectiveness) AS re, AVG(assistant_approval) AS aa,
              AVG(trust_score) AS ts
         FROM economy_promptreputationscore WHERE prompt_id = p.id) m ON TRUE
  LEFT JOIN LATERAL (
       SELECT array_agg(x.id ORDER BY x.id DESC) AS ids,
              array_agg(x.rater_id ORDER BY x.id DESC) AS raters,
              array_agg(x.ritual_effectiveness ORDER BY x.id DESC) AS res,
              array_agg(x.assistant_approval ORDER BY x.id DESC) AS aas,
              array_agg(x.user_rating_tags ORDER BY x.id DESC) AS urts,
              array_agg(x.symbolic_tags ORDER BY x.id DESC) AS sts,
              array_agg(x.trust_score ORDER BY x.id DESC) AS tss,
              array_agg(x.created_at ORDER BY x.id DESC) AS created
         FROM (SELECT * FROM economy_promptreputationscore WHERE prompt_id = p.id
                ORDER BY id DESC LIMIT {REPUTATION_ENTRIES_INLINE}) x) e ON TRUE
 WHERE p.id = %s AND p.is_public"""


def token_sql() -> str:
    return """
SELECT t.digest, t.expiry, u.id, u.is_active, u.is_staff
  FROM knox_authtoken t JOIN auth_user u ON u.id = t.user_id
 WHERE t.token_key = %s"""
