from django.urls import path
from rest_framework.routers import DefaultRouter

from residents.api import views

router = DefaultRouter()
router.register("units", views.PropertyUnitViewSet, basename="unit")
router.register("owners", views.OwnerViewSet, basename="owner")
router.register("ownerships", views.OwnershipViewSet, basename="ownership")
router.register("residents", views.ResidentViewSet, basename="resident")
router.register("party-members", views.PartyMemberViewSet, basename="party-member")
router.register("skills", views.SkillViewSet, basename="skill")
router.register("register-imports", views.ImportJobViewSet, basename="register-import")

urlpatterns = [
    *router.urls,
    path("places/<int:pk>/voting-roll/", views.VotingRollView.as_view(), name="place-voting-roll"),
    path("places/<int:pk>/occupancy/", views.OccupancyView.as_view(), name="place-occupancy"),
    path("places/<int:pk>/occupancy/series/", views.OccupancySeriesView.as_view(), name="place-occupancy-series"),
    path(
        "places/<int:pk>/party-participation/",
        views.PartyParticipationView.as_view(),
        name="place-party-participation",
    ),
]
