"""Domain errors that every layer raises and the API turns into JSON."""

from typing import Any


class ApplicationError(Exception):
    """A rule of the domain refused the request; the message tells a person what to do.

    ``status`` is the HTTP status the API answers with: 400 for input that can be
    corrected, 409 for a request that conflicts with the state of the record.
    """

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.extra = extra or {}


class Conflict(ApplicationError):
    """The request is well-formed but the record's state refuses it (HTTP 409)."""

    status = 409
    code = "conflict"


class NotPermitted(ApplicationError):
    """The actor may see the record but not do this to it (HTTP 403)."""

    status = 403
    code = "permission_denied"
