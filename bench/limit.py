"""The limit: the market list's page answered by ONE SQL query and orjson, outside DRF.

Same rows, same fields, same envelope as ``GET /api/v1/market/prompts/?ordering=-trust`` for an
anonymous caller (active listings of public prompts, ``body`` null when for sale, ordered by
the prompt's trust then ``-id``, ``count/next/previous/results``). The total count and the
number of assistants (the adoption score's denominator) ride in the same statement as scalar
subqueries. No auth, filters or validation beyond ``page``/``page_size``: it is the floor the
framework's work is measured against, not an endpoint.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import orjson
from django.db import connection
from django.http import HttpRequest, HttpResponse

from economy.formulas import adopters_over_all_assistants

ORDERINGS = {
    "-trust": "p.trust_score DESC, l.id DESC",
    "trust": "p.trust_score ASC, l.id DESC",
    "-id": "l.id DESC",
}

SQL = """
SELECT l.id, p.id, p.title, p.author_id, p.tags, p.trust_score, p.rating_count,
       CASE WHEN l.token_cost_cents > 0 THEN NULL ELSE p.body END,
       l.token_cost_cents, l.symbolic_tag_weight, l.codex_usage_score, l.adopter_count,
       l.is_active, l.listed_at, l.delisted_at,
       (SELECT COUNT(*) FROM economy_prompttokenlisting l2
          JOIN core_prompt p2 ON p2.id = l2.prompt_id
         WHERE l2.is_active AND p2.is_public),
       (SELECT COUNT(*) FROM core_assistant)
  FROM economy_prompttokenlisting l
  JOIN core_prompt p ON p.id = l.prompt_id
 WHERE l.is_active AND p.is_public
 ORDER BY {order}
 LIMIT %s OFFSET %s
"""


def _dt(value):
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite: naive UTC


def _json(value):
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


def _cost(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _page_url(request: HttpRequest, page: int) -> str:
    params = request.GET.copy()
    params["page"] = str(page)
    if page == 1:
        del params["page"]  # as DRF: the first page's link has no page number
    return request.build_absolute_uri(request.path) + "?" + urlencode(sorted(params.items()))


def market_list(request: HttpRequest) -> HttpResponse:
    try:
        page = max(1, int(request.GET.get("page", 1)))
        size = min(100, max(1, int(request.GET.get("page_size", 20))))
    except ValueError:
        return HttpResponse(status=400)
    order = ORDERINGS.get(request.GET.get("ordering", "-id"), ORDERINGS["-id"])
    with connection.cursor() as cursor:
        cursor.execute(SQL.format(order=order), [size, (page - 1) * size])
        rows = cursor.fetchall()
    count = rows[0][15] if rows else 0
    assistants = rows[0][16] if rows else 0
    results = [
        {
            "id": r[0],
            "prompt": {
                "id": r[1],
                "title": r[2],
                "author": r[3],
                "tags": _json(r[4]),
                "trust_score": r[5],
                "rating_count": r[6],
                "body": r[7],
            },
            "seller": r[3],
            "token_cost": _cost(r[8]),
            "symbolic_tag_weight": r[9],
            "codex_usage_score": r[10],
            "swarm_adoption_score": adopters_over_all_assistants(
                adopters=r[11], assistants=assistants
            ),
            "adopter_count": r[11],
            "is_active": bool(r[12]),
            "listed_at": _dt(r[13]),
            "delisted_at": _dt(r[14]),
        }
        for r in rows
    ]
    body = {
        "count": count,
        "next": _page_url(request, page + 1) if page * size < count else None,
        "previous": _page_url(request, page - 1) if page > 1 else None,
        "results": results,
    }
    return HttpResponse(
        orjson.dumps(body, option=orjson.OPT_UTC_Z), content_type="application/json"
    )
