"""The limit: the market list's first page answered by one SQL query and orjson, outside DRF.

Placeholder until the market serializer lands; replaced by the real field list.
"""

import orjson
from django.http import HttpRequest, HttpResponse


def market_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse(orjson.dumps({"results": []}), content_type="application/json")
