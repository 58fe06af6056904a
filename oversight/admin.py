"""The admin of the oversight layer: every record viewable, scoped to the staff user's roles; none written here.

Obligations are raised by events and met, waived, imported or built only through the services
(the API, the tasks, the commands), which check rights and record the audit trail; the admin
shows what they wrote.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from governance.scoping import Action
from oversight.models import (
    Audit,
    AuditAction,
    BuildingHead,
    DutyRecord,
    DutyRoster,
    DutyShift,
    Evidence,
    FundAllocation,
    InterventionOpinion,
    LedgerCheckRecord,
    Notice,
    NoticePreference,
    Obligation,
    Petition,
    Report,
    RevenueRules,
    Volunteer,
)


class ViewOnlyAdmin(admin.ModelAdmin):
    """Viewable by staff within their scope; added, changed and deleted only through the services."""

    read_action = Action.VIEW

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if hasattr(queryset, "restrict"):
            return queryset.restrict(request.user, self.read_action)
        return queryset if request.user.is_superuser else queryset.none()

    def has_module_permission(self, request):
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request, obj=None):
        return bool(request.user.is_active and request.user.is_staff)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    can_delete = False
    fields = ("source", "done_on", "people", "opinion", "note", "sampled", "findings", "recorded_by", "recorded_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Obligation)
class ObligationAdmin(ViewOnlyAdmin):
    list_display = ("title", "kind", "estate", "due_on", "state", "met_on", "responsible")
    list_filter = ("kind", "state")
    search_fields = ("title", "estate__name")
    date_hierarchy = "due_on"
    list_select_related = ("estate", "responsible")
    inlines = [EvidenceInline]


@admin.register(LedgerCheckRecord)
class LedgerCheckRecordAdmin(ViewOnlyAdmin):
    list_display = ("estate", "ok", "problem", "checked_at")
    list_filter = ("ok",)


@admin.register(InterventionOpinion)
class InterventionOpinionAdmin(ViewOnlyAdmin):
    list_display = ("estate", "opinion", "reviewer", "created_at")


@admin.register(RevenueRules)
class RevenueRulesAdmin(ViewOnlyAdmin):
    list_display = ("estate", "title", "adopted_on")
    read_action = Action.VIEW_PUBLIC


class AuditActionInline(admin.TabularInline):
    model = AuditAction
    extra = 0
    can_delete = False
    fields = ("description", "owner", "due_on", "done_on", "evidence")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Audit)
class AuditAdmin(ViewOnlyAdmin):
    list_display = ("estate", "period_start", "period_end", "auditor", "state", "published_at")
    list_filter = ("state",)
    inlines = [AuditActionInline]


@admin.register(Petition)
class PetitionAdmin(ViewOnlyAdmin):
    list_display = ("received_on", "place", "category", "channel", "status", "petitioner_masked")
    list_filter = ("category", "channel", "status")
    search_fields = ("reference", "summary")
    date_hierarchy = "received_on"
    # The petitioner's clear name and contact are shown only through the audited reveal.
    exclude = ("petitioner_name", "petitioner_contact")

    @admin.display(description=_("信访人"))
    def petitioner_masked(self, obj):
        return obj.petitioner_name_masked


@admin.register(BuildingHead)
class BuildingHeadAdmin(ViewOnlyAdmin):
    list_display = ("building", "person", "start", "end")
    read_action = Action.VIEW_PUBLIC


@admin.register(Volunteer)
class VolunteerAdmin(ViewOnlyAdmin):
    list_display = ("person", "estate", "party_member", "joined_on", "left_on")


@admin.register(DutyRoster)
class DutyRosterAdmin(ViewOnlyAdmin):
    list_display = ("title", "estate", "kind", "weekdays", "starts_on", "ends_on")
    list_filter = ("kind",)


@admin.register(DutyShift)
class DutyShiftAdmin(ViewOnlyAdmin):
    list_display = ("roster", "date", "volunteer")
    date_hierarchy = "date"


@admin.register(DutyRecord)
class DutyRecordAdmin(ViewOnlyAdmin):
    list_display = ("shift", "done", "recorded_by", "recorded_at")
    list_filter = ("done",)


@admin.register(FundAllocation)
class FundAllocationAdmin(ViewOnlyAdmin):
    list_display = ("allocated_on", "community", "estate", "amount", "purpose")


@admin.register(Report)
class ReportAdmin(ViewOnlyAdmin):
    list_display = ("kind", "place", "start", "end", "format", "state", "progress", "created_by", "created_at")
    list_filter = ("kind", "format", "state")
    exclude = ("figures",)


@admin.register(Notice)
class NoticeAdmin(ViewOnlyAdmin):
    list_display = ("user", "kind", "title", "created_at", "read_at", "emailed_at")
    list_filter = ("kind",)


@admin.register(NoticePreference)
class NoticePreferenceAdmin(ViewOnlyAdmin):
    list_display = ("user", "email", "updated_at")
