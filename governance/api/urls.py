from django.urls import path
from rest_framework.routers import DefaultRouter

from governance.api import views

router = DefaultRouter()
router.register("places", views.PlaceViewSet, basename="place")
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("people", views.PersonViewSet, basename="person")
router.register("posts", views.PostViewSet, basename="post")
router.register("users", views.UserViewSet, basename="user")
router.register("role-assignments", views.RoleAssignmentViewSet, basename="role-assignment")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    *router.urls,
]
