from django.contrib.auth import authenticate, logout
from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import exceptions, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import error_response
from core.selectors import username_for_login
from core.services import user_register

from .serializers import LoginSerializer, RegisterSerializer, TokenSerializer, UserSerializer


# Open to anyone, unauthenticated, under the "auth" throttle (a comment: docstrings reach the schema).
class AnonymousAuthView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_scope = "auth"


class RegisterView(AnonymousAuthView):
    @extend_schema(
        operation_id="auth_register",
        request=RegisterSerializer,
        responses={201: UserSerializer},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = user_register(
            username=data["username"], password=data["password"], email=data.get("email", "")
        )
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginView(AnonymousAuthView):
    @extend_schema(
        operation_id="auth_login",
        request=LoginSerializer,
        responses={
            200: TokenSerializer,
            400: error_response("invalid_credentials", description="Bad input."),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=username_for_login(serializer.validated_data["username"]),
            password=serializer.validated_data["password"],
        )
        if user is None:
            raise exceptions.ValidationError(
                exceptions.ErrorDetail(
                    "Unable to log in with these credentials.", "invalid_credentials"
                )
            )
        instance, token = AuthToken.objects.create(user)
        return Response(TokenSerializer({"token": token, "expiry": instance.expiry}).data)


class LogoutView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "auth"

    @extend_schema(operation_id="auth_logout", request=None, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        """Revoke the token this request was made with (and end a browser session)."""
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(operation_id="auth_me", responses={200: UserSerializer}, tags=["auth"])
    def get(self, request: Request) -> Response:
        user = User.objects.prefetch_related("assistants").get(pk=request.user.pk)  # type: ignore[misc]
        return Response(UserSerializer(user).data)
