"""tokenapi's JSON responses: ``{"success": …, "errors": …}``, ``application/json``."""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

__all__ = [
    "JsonError",
    "JsonResponse",
    "JsonResponseBadRequest",
    "JsonResponseForbidden",
    "JsonResponseNotAcceptable",
    "JsonResponseNotAllowed",
    "JsonResponseNotFound",
    "JsonResponseUnauthorized",
]


def JsonResponse(data: Any, dump: bool = True, status: int = 200) -> HttpResponse:  # noqa: N802 - tokenapi's names
    try:
        data["errors"]
    except KeyError:
        data["success"] = True
    except TypeError:
        pass
    body = json.dumps(data, cls=DjangoJSONEncoder) if dump else data
    return HttpResponse(body, content_type="application/json", status=status)


def JsonError(error_string: str, status: int = 200) -> HttpResponse:  # noqa: N802
    return JsonResponse({"success": False, "errors": error_string}, status=status)


def JsonResponseBadRequest(error_string: str) -> HttpResponse:  # noqa: N802
    return JsonError(error_string, status=400)


def JsonResponseUnauthorized(error_string: str) -> HttpResponse:  # noqa: N802
    return JsonError(error_string, status=401)


def JsonResponseForbidden(error_string: str) -> HttpResponse:  # noqa: N802
    return JsonError(error_string, status=403)


def JsonResponseNotFound(error_string: str) -> HttpResponse:  # noqa: N802
    return JsonError(error_string, status=404)


def JsonResponseNotAllowed(error_string: str) -> HttpResponse:  # noqa: N802
    return JsonError(error_string, status=405)


def JsonResponseNotAcceptable(error_string: str) -> HttpResponse:  # noqa: N802
    return JsonError(error_string, status=406)
