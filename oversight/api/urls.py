from django.urls import path
from rest_framework.routers import DefaultRouter

from oversight.api import views

router = DefaultRouter()
router.register("obligations", views.ObligationViewSet, basename="obligation")
router.register("intervention-opinions", views.InterventionOpinionViewSet, basename="intervention-opinion")
router.register("revenue-rules", views.RevenueRulesViewSet, basename="revenue-rules")
router.register("audits", views.AuditViewSet, basename="audit")
router.register("audit-actions", views.AuditActionViewSet, basename="audit-action")
router.register("petitions", views.PetitionViewSet, basename="petition")
router.register("building-heads", views.BuildingHeadViewSet, basename="building-head")
router.register("volunteers", views.VolunteerViewSet, basename="volunteer")
router.register("duty-rosters", views.DutyRosterViewSet, basename="duty-roster")
router.register("duty-shifts", views.DutyShiftViewSet, basename="duty-shift")
router.register("fund-allocations", views.FundAllocationViewSet, basename="fund-allocation")
router.register("commissioners", views.CommissionerViewSet, basename="commissioner")
router.register("reports", views.ReportViewSet, basename="report")
router.register("notices", views.NoticeViewSet, basename="notice")

# Figures of a place's subtree; routed here because the places viewset (governance) may not import oversight.
place_figures = [
    ("compliance", views.ComplianceView, "place-compliance"),
    ("early-warning", views.EarlyWarningView, "place-early-warning"),
    ("petition-shares", views.PetitionSharesView, "place-petition-shares"),
    ("supervision-queues", views.SupervisionQueuesView, "place-supervision-queues"),
    ("legal-oversight", views.LegalOversightView, "place-legal-oversight"),
    ("duty-gaps", views.DutyGapsView, "place-duty-gaps"),
    ("commissioners", views.CommissionersView, "place-commissioners"),
]

urlpatterns = [
    *(path(f"places/<int:pk>/{slug}/", view.as_view(), name=name) for slug, view, name in place_figures),
    *router.urls,
]
