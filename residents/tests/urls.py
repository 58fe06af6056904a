"""The project's URLs plus the register's web pages, for tests of those pages."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("register/", include("residents.urls")), *project_urlpatterns]
