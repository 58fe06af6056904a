from rest_framework.routers import DefaultRouter

from elections.api.views import VoteViewSet

router = DefaultRouter()
router.register("votes", VoteViewSet, basename="vote")

urlpatterns = [*router.urls]
