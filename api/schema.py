"""OpenAPI plumbing: stable operation ids and the one documented error shape."""

from drf_spectacular.utils import OpenApiResponse
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from rest_framework import serializers

from .viewsets import ID_REGEX

STATUS_TEXT = {
    "400": "Bad input: a parse error or a validation error per field (`attr`).",
    "401": "Not authenticated (`not_authenticated`, `authentication_failed`).",
    "403": "Not allowed (`permission_denied`, `not_owner`, `not_your_assistant`, ...).",
    "404": "Not found, or not visible to the caller.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "State conflict.",
    "413": "Request body too large (`request_too_large`).",
    "415": "Unsupported media type: send `application/json`.",
    "429": "Throttled (`throttled`); see `Retry-After`.",
    "503": "The database is unreachable or busy (`service_unavailable`); retry after "
    "`Retry-After` seconds (with the same `Idempotency-Key` where the endpoint takes one).",
}


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable machine-readable code, e.g. `insufficient_funds`."
    )
    detail = serializers.CharField(help_text="Human-readable message.")
    attr = serializers.CharField(
        allow_null=True,
        help_text="The body field, query parameter or header concerned, or null (always null "
        "on 404).",
    )


class ErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["validation_error", "client_error", "server_error"])
    errors = ErrorSerializer(many=True)  # type: ignore[assignment]


def error_response(*codes: str, description: str = "") -> OpenApiResponse:
    """A documented error response listing its stable codes."""
    text = description or ""
    if codes:
        text = (text + " " if text else "") + "Codes: " + ", ".join(f"`{c}`" for c in codes) + "."
    return OpenApiResponse(ErrorResponseSerializer, description=text)


# The 403 of every endpoint that acts as, or reads the private side of, an assistant.
OWNER_ONLY = error_response("not_your_assistant", description="Not your assistant.")


class AutoSchema(StandardizedErrorsAutoSchema):
    """Operation ids are ``<basename>_<action>`` (``market_prompts_buy``), stable and explicit;
    409/413 are documented only where they can happen."""

    def get_operation_id(self) -> str:
        basename = getattr(self.view, "basename", None)
        action = getattr(self.view, "action", None)
        if basename and action:
            return f"{basename}_{action}".replace("-", "_")
        return super().get_operation_id()

    def _resolve_path_parameters(self, variables):
        # Our id routes match ``[0-9]{1,18}`` (api.viewsets.ID_REGEX); say "integer", which is
        # what they are, so generated clients take ints instead of strings.
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if schema.get("type") == "string" and schema.get("pattern") == f"^{ID_REGEX}$":
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}
        return parameters

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        # Same rules as drf-standardized-errors, minus its check that the view uses *its*
        # handler: ours (api.exceptions) wraps it.
        if status_code in responses or status_code == "409":
            return False  # 409 is declared per action, with the codes it can raise
        checks = {
            "400": lambda: (
                self._should_add_parse_error_response()
                or self._should_add_validation_error_response()
            ),
            "401": self._should_add_http401_error_response,
            "403": self._should_add_http403_error_response,
            "404": self._should_add_http404_error_response,
            "405": self._should_add_http405_error_response,
            "406": self._should_add_http406_error_response,
            "413": lambda: self.method in ("POST", "PUT", "PATCH"),
            "415": self._should_add_http415_error_response,
            "429": self._should_add_http429_error_response,
            "503": lambda: True,
        }
        check = checks.get(status_code)
        return bool(check and check())

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if serializer is ErrorResponseSerializer and not response.get("description"):
            response["description"] = STATUS_TEXT.get(str(status_code), "")
        return response
