"""The project's URLs plus this app's pages, as the lead will include them (``committees/``)."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *[p for p in project_urlpatterns if getattr(p, "namespace", None) != "committees"],
    path("committees/", include("committees.urls")),
]
