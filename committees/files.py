"""Uploaded files are served only by views that have checked who may see them.

Vouchers and meeting attachments are never reachable at a public ``/media/`` address. A view
first finds the record through the user's scoped queryset (404 outside the scope) or a
service that checks the right (and records a voucher view), then answers with
``protected_file_response``. In production the web server sends the bytes, chosen by
``settings.PROTECTED_MEDIA_SERVER``:

- ``"nginx"``: ``X-Accel-Redirect: <PROTECTED_MEDIA_PREFIX><file name>``, for an ``internal``
  location that aliases ``MEDIA_ROOT`` (``location /protected/ { internal; alias /srv/media/; }``);
- ``"apache"``: ``X-Sendfile: <absolute path>`` (mod_xsendfile, ``XSendFilePath MEDIA_ROOT``);
- ``""`` (the default, and in development): Django streams the file itself.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpResponse


def _disposition(filename: str, as_attachment: bool) -> str:
    kind = "attachment" if as_attachment else "inline"
    return f"{kind}; filename*=UTF-8''{quote(filename)}"


def protected_file_response(file, *, filename: str | None = None, as_attachment: bool = True) -> HttpResponse:
    """Answer with a stored file (a ``FieldFile``) the caller has already allowed the user to read."""
    filename = filename or PurePosixPath(file.name).name
    server = getattr(settings, "PROTECTED_MEDIA_SERVER", "")
    if server in ("nginx", "apache"):
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        response = HttpResponse(content_type=content_type)
        if server == "nginx":
            prefix = getattr(settings, "PROTECTED_MEDIA_PREFIX", "/protected/")
            response["X-Accel-Redirect"] = quote(prefix + file.name)
        else:
            response["X-Sendfile"] = file.path
        response["Content-Disposition"] = _disposition(filename, as_attachment)
        return response
    return FileResponse(file.open("rb"), as_attachment=as_attachment, filename=filename)
