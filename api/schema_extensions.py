"""OpenAPI extensions registered at start-up (imported by ``api.apps``)."""

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme


class TokenScheme(KnoxTokenScheme):
    """Our knox subclass documents itself as knox's ``Authorization: Token <token>``."""

    target_class = "api.authentication.TokenAuthentication"
