"""The platform's URLs plus the floors' plain views: used by the benchmarks only (``ROOT_URLCONF``)."""

from django.urls import path

from bench import views
from config.urls import urlpatterns as platform_urlpatterns

urlpatterns = [
    path("bench/floor/units/", views.units_floor, name="bench-floor-units"),
    path("bench/floor/insert/", views.insert_floor, name="bench-floor-insert"),
    *platform_urlpatterns,
]
