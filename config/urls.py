from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from core.schema_view import CachedSchemaView
from web.views import workspace

# The API documentation page loads its script from a file of its own (the "split" view, no inline
# script); Swagger UI's template and widgets still carry inline styles, allowed on this page only.
api_docs = csp_replace({"style-src": [SELF, UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="schema"))

api_v1 = [
    path("", include("governance.api.urls")),
    path("", include("residents.api.urls")),
    path("", include("elections.api.urls")),
    path("", include("committees.api.urls")),
    path("", include("oversight.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", CachedSchemaView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("register/", include("residents.urls")),
    path("votes/", include("elections.urls")),
    path("committees/", include("committees.urls")),
    # The pages people work in (web/): the home page answers for every role, the rest by role.
    path("", workspace.home, name="dashboard"),
    path("", include("web.urls")),
    path("", include("governance.urls")),
]
# Errors raised before any view (no route, a refused request, a crash): JSON under /api/, pages elsewhere.
handler400 = "core.api.bad_request"
handler404 = "core.api.not_found"
handler500 = "core.api.server_error"

# Uploaded files (vouchers, meeting attachments, register files) are never served from
# /media/, not even in development: each is sent by a view that checks who may see it
# (committees/files.py), handing the bytes to nginx or Apache in production.
