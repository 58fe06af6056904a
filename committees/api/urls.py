from rest_framework.routers import DefaultRouter

from committees.api import views

router = DefaultRouter()
router.register("committees", views.OwnersCommitteeViewSet, basename="committee")
router.register("supervision-groups", views.SupervisionGroupViewSet, basename="supervision-group")
router.register("meetings", views.MeetingViewSet, basename="meeting")
router.register("property-companies", views.PropertyCompanyViewSet, basename="property-company")
router.register("service-contracts", views.ServiceContractViewSet, basename="service-contract")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("ledger/accounts", views.AccountViewSet, basename="ledger-account")
router.register("ledger/transactions", views.LedgerTransactionViewSet, basename="ledger-transaction")
router.register("spending-requests", views.SpendingRequestViewSet, basename="spending-request")
router.register("statements", views.StatementViewSet, basename="statement")

urlpatterns = router.urls
