"""The OpenAPI schema's description of the API's errors, added to every operation.

Every error the API answers has one shape (``core.api.exception_handler``): ``{"detail", "code"}``, plus
``fields`` for invalid input and whatever a refusal adds (``extra``). Which statuses an operation can answer
follows from what it takes and does, so the schema says it once here rather than on each view:

- 400: the operation takes input (a body or query parameters);
- 401 and 403: every operation (a missing or wrong token; a right the user lacks);
- 404: the operation names an object in its path (out of scope answers like missing), or pages a list;
- 409: the operation writes (the record's state refuses it);
- 415: the operation takes a body (sent without a content type, or in one it does not parse).

A view may still declare an error of its own (``extend_schema(responses={429: ...})``); it is kept.

It also says what read-only fields really hold: DRF drops ``allow_blank`` from a read-only field, so a
model's optional choice (``blank=True``, stored as ``""``) was declared as its choices only, and every
answer holding ``""`` contradicted the schema.
"""

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ErrorSerializer(serializers.Serializer):
    """The API's one error body."""

    detail = serializers.CharField(help_text=_("给人看的说明：错在哪里、怎样改正。"))
    code = serializers.CharField(help_text=_("给程序用的稳定代码（invalid、conflict、not_found 等）。"))
    fields = serializers.DictField(required=False, help_text=_("输入无效时：各字段的错误信息，按字段名。"))


def error_response(code: int | str) -> OpenApiResponse:
    """The error body for a status the rules above do not foresee, for a view's own ``extend_schema``: a read
    naming its object in the query (``?estate=``) answers 404; a read of what does not exist yet answers 409."""
    return OpenApiResponse(ErrorSerializer, description=ERRORS[str(code)])


# What a stored file is answered as, by the kinds core.uploads recognises (and csv for reports).
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}


def file_responses(*kinds: str) -> dict:
    """A download's 200 answers, one per file type it may hold (named by its extension when stored); a name
    without a known extension is sent as ``application/octet-stream``."""
    types = [MEDIA_TYPES[kind] for kind in kinds] + ["application/octet-stream"]
    return {(200, media_type): OpenApiTypes.BINARY for media_type in types}


# A list of free-form objects, for a figure whose answer is a list (``OpenApiTypes.OBJECT`` says one object).
LIST_OF_OBJECTS = {"type": "array", "items": {"type": "object", "additionalProperties": {}}}


ERRORS = {
    "400": _("请求数据无效。"),
    "401": _("未登录或令牌无效。"),
    "403": _("无权执行此操作。"),
    "404": _("未找到，或不在您的管辖范围内。"),
    "409": _("与记录的当前状态冲突。"),
    "415": _("请求体的内容类型不受支持。"),
}


def _blank_in_model(field) -> bool:
    """Whether a serializer field reads a model field that may hold ``""`` (``blank=True``)."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return model._meta.get_field(field.source).blank
    except FieldDoesNotExist:
        return False


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, with the error responses each operation can give."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if (
            isinstance(field, serializers.ChoiceField)
            and field.read_only
            and not field.allow_blank
            and _blank_in_model(field)
        ):
            field.allow_blank = True  # a read-only field validates nothing: only the schema reads this
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        takes_input = "requestBody" in operation or any(p.get("in") == "query" for p in parameters)
        names_object = any(p.get("in") == "path" for p in parameters)
        pages = any(p.get("in") == "query" and p.get("name") == "page" for p in parameters)
        codes = ["401", "403"]
        if takes_input:
            codes.append("400")
        if names_object or pages:
            codes.append("404")
        if self.method in WRITES:
            codes.append("409")
        if "requestBody" in operation:
            codes.append("415")
        responses = operation.setdefault("responses", {})
        for code in sorted(codes):
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, media_types=["application/json"])
                response["description"] = str(ERRORS[code])
                responses[code] = response
        return operation
