"""tokenapi's JSON responses: ``{"success": …, "errors": …}``, ``application/json``."""

import json

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


def JsonResponse(data, dump=True, status=200):  # noqa: N802 - tokenapi's names
    try:
        data["errors"]
    except KeyError:
        data["success"] = True
    except TypeError:
        pass
    body = json.dumps(data, cls=DjangoJSONEncoder) if dump else data
    return HttpResponse(body, content_type="application/json", status=status)


def JsonError(error_string, status=200):  # noqa: N802
    return JsonResponse({"success": False, "errors": error_string}, status=status)


def JsonResponseBadRequest(error_string):  # noqa: N802
    return JsonError(error_string, status=400)


def JsonResponseUnauthorized(error_string):  # noqa: N802
    return JsonError(error_string, status=401)


def JsonResponseForbidden(error_string):  # noqa: N802
    return JsonError(error_string, status=403)


def JsonResponseNotFound(error_string):  # noqa: N802
    return JsonError(error_string, status=404)


def JsonResponseNotAllowed(error_string):  # noqa: N802
    return JsonError(error_string, status=405)


def JsonResponseNotAcceptable(error_string):  # noqa: N802
    return JsonError(error_string, status=406)
