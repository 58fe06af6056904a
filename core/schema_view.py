"""The schema endpoint (apart from ``core.schema``, which DRF's settings import before drf-spectacular's views)."""

from typing import ClassVar

from django.conf import settings
from django.utils.translation import get_language
from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response


class CachedSchemaView(SpectacularAPIView):
    """The OpenAPI schema, built once per process, language and version: it changes only with the code.

    Building it takes seconds of CPU and the endpoint is public, so building it on every request let any
    visitor keep a worker busy (and made the permission matrix's twelve requests cost a minute).
    """

    _built: ClassVar[dict] = {}

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (get_language(), version, str(self.urlconf), settings.ROOT_URLCONF)
        if key not in self._built:
            generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
            self._built[key] = generator.get_schema(request=request, public=self.serve_public)
        return Response(
            data=self._built[key],
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )
