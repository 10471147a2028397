"""The limit's reads: the anonymous market page (the API's envelope, ordering, page links and
cached counts) and a public prompt's reputation, each one statement."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode

from bench.limit.base import LimitBase
from bench.limit.constants import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, REPUTATION_ENTRIES_INLINE
from bench.limit.refusals import Refused, Response, not_found
from bench.limit.sql_reads import market_page_sql, reputation_sql
from economy.money import format_cents


class Reads(LimitBase):
    """``GET`` market page and reputation."""

    def market_list(self, environ: dict) -> Response:
        params = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        query = dict(params)
        try:
            size = int(query.get("page_size") or DEFAULT_PAGE_SIZE)
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise Refused(
                400, "invalid", f"Must be an integer from 1 to {MAX_PAGE_SIZE}.", "page_size"
            )
        try:
            page = int(query.get("page") or 1)
        except ValueError:
            page = 0
        if page < 1:
            raise Refused(404, "not_found", "Invalid page.")
        order = {"-trust": "p.trust_score DESC, l.id DESC", "trust": "p.trust_score, l.id DESC"}
        order_sql = order.get(query.get("ordering", ""), "l.id DESC")
        cached = self.counts if self.counts and self.counts[0] > time.monotonic() else None
        rows = (
            self.db()
            .execute(market_page_sql(order_sql, cached is None), [size, (page - 1) * size])
            .fetchall()
        )
        if cached is not None:
            count, assistants = cached[1], cached[2]
        elif rows:
            count, assistants = rows[0][15], rows[0][16]
            if self.count_ttl and min(count, assistants) >= self.count_min_rows:
                self.counts = (time.monotonic() + self.count_ttl, count, assistants)
        else:
            count, assistants = 0, 0
        if page > 1 and not rows:
            raise Refused(404, "not_found", "Invalid page.")
        results = [
            {
                "id": r[0],
                "prompt": {
                    "id": r[1],
                    "title": r[2],
                    "author": r[3],
                    "tags": r[4],
                    "trust_score": r[5],
                    "rating_count": r[6],
                    "body": r[7],
                },
                "seller": r[3],
                "token_cost": format_cents(r[8]),
                "symbolic_tag_weight": r[9],
                "codex_usage_score": r[10],
                "swarm_adoption_score": min(1.0, r[11] / assistants) if assistants > 0 else 0.0,
                "adopter_count": r[11],
                "is_active": r[12],
                "listed_at": r[13],
                "delisted_at": r[14],
            }
            for r in rows
        ]
        base = self._base_url(environ) + environ["PATH_INFO"]

        def link(number: int) -> str:
            kept = [(k, v) for k, v in query.items() if k != "page"]
            if number > 1:
                kept.append(("page", str(number)))
            return base + "?" + urlencode(sorted(kept), doseq=True)

        pages = max(1, -(-count // size))
        body = {
            "count": count,
            "next": link(page + 1) if page < pages else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": results,
        }
        return 200, body, []

    def reputation(self, environ: dict, prompt_id: int) -> Response:
        row = self.db().execute(reputation_sql(), [prompt_id]).fetchone()
        if row is None:
            raise not_found()
        (pk, trust, count, re_, aa, ts, user_tags, symbolic_tags, *entries) = row
        ids, raters, res, aas, urts, sts, tss, created = entries
        body = {
            "prompt": pk,
            "trust_score": trust,
            "rating_count": count,
            "means": {"ritual_effectiveness": re_, "assistant_approval": aa, "trust_score": ts},
            "user_rating_tags": user_tags or {},
            "symbolic_tags": symbolic_tags or {},
            "entries": [
                {
                    "id": ids[i],
                    "prompt": pk,
                    "rater": raters[i],
                    "ritual_effectiveness": res[i],
                    "assistant_approval": aas[i],
                    "user_rating_tags": urts[i],
                    "symbolic_tags": sts[i],
                    "trust_score": tss[i],
                    "created_at": created[i],
                }
                for i in range(len(ids or ()))
            ],
            "entries_limit": REPUTATION_ENTRIES_INLINE,
            "ratings_url": f"{self._base_url(environ)}/api/v1/prompts/{pk}/ratings/",
        }
        return 200, body, []
