"""tokenapi's views: ``token_new`` (log in, get a token) and ``token`` (check one)."""

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from djtoken.tokenapi.http import JsonResponse, JsonResponseForbidden, JsonResponseNotAllowed, JsonResponseUnauthorized
from djtoken.tokenapi.tokens import token_generator

__all__ = ["token", "token_new"]


@csrf_exempt
def token_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return JsonResponseNotAllowed("Must access via a POST request.")
    username = request.POST.get("username")
    password = request.POST.get("password")
    if not (username and password):
        return JsonResponseUnauthorized("Must include 'username' and 'password' as POST parameters.")
    try:
        user = authenticate(username=username, password=password)
    except ValueError:
        # A NUL in the username on PostgreSQL: no user can have it.
        user = None
    if not user:
        return JsonResponseUnauthorized("Unable to log you in, please try again.")
    if not getattr(user, "is_active", True):
        return JsonResponseForbidden("User account is disabled.")
    return JsonResponse({"token": token_generator.make_token(user), "user": user.pk})


def token(request: HttpRequest, token: str, user: str) -> HttpResponse:
    if authenticate(pk=user, token=token) is not None:
        return JsonResponse({})
    return JsonResponseUnauthorized("Token did not match user.")
