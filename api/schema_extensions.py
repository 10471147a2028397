"""OpenAPI extensions registered at start-up (imported by ``api.apps``)."""

from drf_spectacular.authentication import SessionScheme as DrfSessionScheme
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme


class TokenScheme(KnoxTokenScheme):
    """Our knox subclass documents itself as knox's ``Authorization: Token <token>``."""

    target_class = "api.authentication.TokenAuthentication"


class SessionScheme(DrfSessionScheme):
    """Our subclass of DRF's session authentication documents itself as DRF's cookie scheme."""

    target_class = "api.authentication.SessionAuthentication"
