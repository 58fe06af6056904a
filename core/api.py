"""The API's one error format."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            message = _first_message(value)
            if message:
                return message if key in ("non_field_errors", "__all__", "detail") else f"{key}: {message}"
    elif isinstance(detail, list):
        for value in detail:
            message = _first_message(value)
            if message:
                return message
    elif detail:
        return str(detail)
    return ""


def exception_handler(exc, context):
    """Answer every error as ``{"detail": ..., "code": ...}``, with ``fields`` for invalid input."""
    if isinstance(exc, ApplicationError):
        body = {"detail": exc.message, "code": exc.code, **exc.extra}
        return Response(body, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("未找到，或不在您的管辖范围内。"))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {
            "detail": _first_message(fields) or _("请求数据无效。"),
            "code": "invalid",
            "fields": fields,
        }
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"]), "code": getattr(exc, "default_code", "error")}
    return response


def query_id(request, name: str, *, required: bool = True) -> int | None:
    """An object's id named in the query string (``?estate=12``).

    Missing (when required) or not a whole number answers 400 naming the parameter, before any lookup: the
    database would otherwise refuse the value and the request would end in a 500.
    """
    value = request.query_params.get(name, "").strip()
    if not value:
        if required:
            raise ApplicationError(_("请提供参数 %(name)s（编号）。") % {"name": name}, code="required")
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ApplicationError(_("参数 %(name)s 应为整数编号。") % {"name": name}, code="invalid") from exc


API_PREFIX = "/api/"


def not_found(request, exception):
    """A URL that no route matches: under ``/api/`` the API's error format, elsewhere the page (``404.html``).

    A path id the router cannot take (``/api/v1/places/1.5/``) never reaches a view; a program must still get
    JSON it can read, not the site's HTML page.
    """
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": _("未找到，或不在您的管辖范围内。"), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception):
    """A request Django refuses before any view (a body over the size limit, a suspicious header): JSON under
    ``/api/``, the page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": _("请求无效。"), "code": "bad_request"}, status=400)
    return defaults.bad_request(request, exception)


def server_error(request):
    """An unexpected error: JSON under ``/api/`` (no traceback, no page), the page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": _("服务器内部错误，请稍后再试。"), "code": "server_error"}, status=500)
    return defaults.server_error(request)
