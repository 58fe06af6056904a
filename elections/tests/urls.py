"""The project's URLs plus the votes pages at ``votes/``, as the lead will include them."""

from django.urls import include, path

from config.urls import urlpatterns as project

urlpatterns = [path("votes/", include("elections.urls")), *project]
