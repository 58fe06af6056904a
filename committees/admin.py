"""The admin of the committees layer. Writes call the same services as the API, which check the user's rights.

The ledger, its legs, published statements and spending approvals are read-only here:
there is no add, change or delete path for them in the admin.
"""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from committees import services
from committees.models import (
    Account,
    Decision,
    LedgerLeg,
    LedgerTransaction,
    Meeting,
    MeetingAttachment,
    OwnersCommittee,
    PerformanceNote,
    Project,
    ProjectMilestone,
    PropertyCompany,
    ServiceContract,
    SpendingApproval,
    SpendingRequest,
    Statement,
    SupervisionGroup,
)
from core.errors import ApplicationError
from governance.admin import ScopedAdminMixin


class NoDeleteMixin(ScopedAdminMixin):
    """Records of an estate's self-governance are corrected, never deleted."""

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class ReadOnlyAdmin(NoDeleteMixin, admin.ModelAdmin):
    """Append-only records: viewable, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _stored(obj):
    """The record as the database holds it: the admin's form has already set the new values on ``obj``.

    The services compare old and new values (for the audit trail and ``update_fields``), so
    they must start from the stored row.
    """
    return type(obj).objects.get(pk=obj.pk)


def _report(modeladmin, request, fn):
    try:
        return fn()
    except ApplicationError as exc:
        modeladmin.message_user(request, exc.message, level=messages.ERROR)
        return None


# Committees -----------------------------------------------------------------------------


@admin.register(OwnersCommittee)
class OwnersCommitteeAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ("estate", "term_start", "term_end", "status", "filed_on", "filing_reference", "entered_by_hand")
    list_filter = ("status",)
    list_select_related = ("estate",)
    fields = (
        "estate",
        "term_start",
        "term_end",
        "election",
        "party_branch",
        "status",
        "ended_on",
        "filed_on",
        "filing_reference",
        "posts",
    )
    readonly_fields = ("estate", "term_start", "term_end", "election", "party_branch", "status", "ended_on", "posts")

    def has_add_permission(self, request):
        # A committee is recorded with its members through the API or by a filed election.
        return False

    def save_model(self, request, obj, form, change):
        if "filed_on" in form.changed_data or "filing_reference" in form.changed_data:
            _report(
                self,
                request,
                lambda: services.committee_file(
                    committee=_stored(obj), filed_on=obj.filed_on, reference=obj.filing_reference, actor=request.user
                ),
            )


@admin.register(SupervisionGroup)
class SupervisionGroupAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ("estate", "term_start", "term_end")
    list_select_related = ("estate",)
    fields = ("estate", "term_start", "term_end", "members")
    autocomplete_fields = ("estate",)
    filter_horizontal = ("members",)

    def has_change_permission(self, request, obj=None):
        return False if obj else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        request._gongzhi_group = form.cleaned_data

    def save_related(self, request, form, formsets, change):
        data = request._gongzhi_group
        group = _report(
            self,
            request,
            lambda: services.supervision_group_create(
                estate=data["estate"],
                term_start=data["term_start"],
                term_end=data.get("term_end"),
                members=list(data["members"]),
                actor=request.user,
            ),
        )
        if group is not None:
            form.instance.pk = group.pk


# Meetings -------------------------------------------------------------------------------


class DecisionInline(ReadOnlyInline):
    model = Decision
    fields = (
        "text",
        "matter",
        "is_major",
        "members_total",
        "members_present",
        "votes_for",
        "votes_against",
        "votes_abstain",
        "passed",
        "party_org_participated",
    )
    readonly_fields = fields


class AttachmentInline(ReadOnlyInline):
    model = MeetingAttachment
    fields = ("title", "download", "created_at")
    readonly_fields = fields

    @admin.display(description=_("文件"))
    def download(self, attachment):
        # Files are not served at /media/: the link goes through the view that checks the scope.
        return format_html('<a href="{}">{}</a>', reverse("committees:attachment", args=[attachment.pk]), _("下载"))


@admin.register(Meeting)
class MeetingAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ("held_at", "title", "estate", "kind", "party_org_attended", "minutes_published_at")
    list_filter = ("kind",)
    list_select_related = ("estate",)
    search_fields = ("title",)
    fields = (
        "estate",
        "kind",
        "title",
        "held_at",
        "location",
        "agenda",
        "attendees",
        "party_org_attended",
        "property_company_attended",
        "supervision_group_attended",
        "minutes",
        "minutes_published_at",
    )
    readonly_fields = ("minutes_published_at",)
    autocomplete_fields = ("estate", "attendees")
    inlines = [DecisionInline, AttachmentInline]
    actions = ["publish_minutes"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        if obj.minutes_published:
            return self.fields
        return ("estate", "kind", "title", "held_at", "location", "agenda", "minutes_published_at")

    def save_model(self, request, obj, form, change):
        request._gongzhi_meeting = (obj, form.cleaned_data, change)
        if not change:
            saved = _report(
                self,
                request,
                lambda: services.meeting_create(
                    estate=obj.estate,
                    kind=obj.kind,
                    title=obj.title,
                    held_at=obj.held_at,
                    location=obj.location,
                    agenda=obj.agenda or [],
                    actor=request.user,
                ),
            )
            if saved is not None:
                obj.pk = saved.pk
                obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        obj, data, _change = request._gongzhi_meeting
        for formset in formsets:
            # The inlines are read-only: this saves nothing, but the admin's log reads the result.
            formset.save()
        if obj.pk is None:
            return
        _report(
            self,
            request,
            lambda: services.meeting_record_attendance(
                meeting=_stored(obj),
                attendees=list(data.get("attendees") or []),
                party_org=data.get("party_org_attended", False),
                property_company=data.get("property_company_attended", False),
                supervision_group=data.get("supervision_group_attended", False),
                actor=request.user,
            ),
        )
        if "minutes" in form.changed_data:
            _report(
                self,
                request,
                lambda: services.meeting_record_minutes(
                    meeting=_stored(obj), minutes=data.get("minutes", ""), actor=request.user
                ),
            )

    @admin.action(description=_("公开所选会议的纪要"))
    def publish_minutes(self, request, queryset):
        for meeting in queryset:
            if _report(
                self, request, lambda m=meeting: services.meeting_publish_minutes(meeting=m, actor=request.user)
            ):
                self.message_user(request, _("已公开“%s”的纪要。") % meeting.title)


# Property companies and projects ---------------------------------------------------------


@admin.register(PropertyCompany)
class PropertyCompanyAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ("name", "place", "party_branch", "contact")
    list_select_related = ("place", "party_branch")
    search_fields = ("name",)
    fields = ("name", "credit_code", "place", "party_branch", "contact")
    autocomplete_fields = ("place", "party_branch")

    def get_readonly_fields(self, request, obj=None):
        return ("name", "place") if obj else ()

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            _report(
                self,
                request,
                lambda: services.property_company_update(
                    company=_stored(obj),
                    actor=request.user,
                    credit_code=data.get("credit_code", ""),
                    contact=data.get("contact", ""),
                    party_branch=data.get("party_branch"),
                ),
            )
        else:
            saved = _report(self, request, lambda: services.property_company_create(actor=request.user, **data))
            if saved is not None:
                obj.pk = saved.pk


class PerformanceNoteInline(ReadOnlyInline):
    model = PerformanceNote
    fields = ("noted_on", "rating", "text", "author")
    readonly_fields = fields


@admin.register(ServiceContract)
class ServiceContractAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ("estate", "company", "start", "end", "fee_per_m2_month")
    list_select_related = ("estate", "company")
    fields = ("estate", "company", "start", "end", "fee_per_m2_month", "notes")
    autocomplete_fields = ("estate", "company")
    inlines = [PerformanceNoteInline]

    def has_change_permission(self, request, obj=None):
        return False if obj else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        saved = _report(
            self, request, lambda: services.service_contract_create(actor=request.user, **form.cleaned_data)
        )
        if saved is not None:
            obj.pk = saved.pk


class MilestoneInline(ReadOnlyInline):
    model = ProjectMilestone
    fields = ("title", "planned_on", "reached_on", "note")
    readonly_fields = fields


@admin.register(Project)
class ProjectAdmin(NoDeleteMixin, admin.ModelAdmin):
    """The plan is edited here; the start, milestones and acceptance are recorded through the API's actions."""

    list_display = ("title", "estate", "budget", "actual_cost", "planned_end", "actual_end", "accepted_on")
    list_select_related = ("estate",)
    search_fields = ("title",)
    fields = (
        "estate",
        "title",
        "description",
        "budget",
        "contractor",
        "planned_start",
        "planned_end",
        "actual_start",
        "actual_end",
        "actual_cost",
        "accepted_on",
        "acceptance_note",
        "expert_team",
    )
    autocomplete_fields = ("estate",)
    filter_horizontal = ("expert_team",)
    inlines = [MilestoneInline]
    PROGRESS = ("actual_start", "actual_end", "actual_cost", "accepted_on", "acceptance_note")

    def get_readonly_fields(self, request, obj=None):
        return ("estate", *self.PROGRESS) if obj else self.PROGRESS

    def save_model(self, request, obj, form, change):
        request._gongzhi_project = obj

    def save_related(self, request, form, formsets, change):
        obj = request._gongzhi_project
        data = {k: v for k, v in form.cleaned_data.items() if k in services.PROJECT_FIELDS}
        experts = list(form.cleaned_data.get("expert_team") or [])
        if change:
            _report(
                self,
                request,
                lambda: services.project_update(project=_stored(obj), experts=experts, actor=request.user, **data),
            )
        else:
            saved = _report(
                self,
                request,
                lambda: services.project_create(
                    estate=form.cleaned_data["estate"], experts=experts, actor=request.user, **data
                ),
            )
            if saved is not None:
                form.instance.pk = saved.pk
        for formset in formsets:
            # The inline is read-only: this saves nothing, but the admin's log reads the result.
            formset.save()


# The ledger (read-only) -------------------------------------------------------------------


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("estate", "code", "name", "kind")
    list_filter = ("kind",)
    list_select_related = ("estate",)


class LegInline(ReadOnlyInline):
    model = LedgerLeg
    fields = ("account", "debit", "credit")
    readonly_fields = fields


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ("estate", "sequence", "date", "memo", "recorded_by", "reverses", "hash")
    list_select_related = ("estate", "recorded_by")
    search_fields = ("memo",)
    inlines = [LegInline]
    readonly_fields = (
        "estate",
        "sequence",
        "date",
        "memo",
        "voucher_download",
        "voucher_sha256",
        "recorded_by",
        "recorded_at",
        "reverses",
        "reason",
        "previous_hash",
        "hash",
    )
    fields = readonly_fields

    @admin.display(description=_("凭证"))
    def voucher_download(self, tx):
        # Through the scoped API view, which records that the voucher was seen.
        if not tx.voucher:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("ledger-transaction-voucher", args=[tx.pk]), _("下载"))


class ApprovalInline(ReadOnlyInline):
    model = SpendingApproval
    fields = ("stage", "approver", "approved_at", "seen", "decision", "resolution_vote")
    readonly_fields = fields


@admin.register(SpendingRequest)
class SpendingRequestAdmin(ReadOnlyAdmin):
    list_display = ("estate", "requested_on", "payee", "amount", "status", "split_flagged")
    list_filter = ("status", "split_flagged")
    list_select_related = ("estate",)
    search_fields = ("payee",)
    inlines = [ApprovalInline]
    readonly_fields = (
        "estate",
        "payee",
        "purpose",
        "description",
        "amount",
        "requested_on",
        "requested_by",
        "status",
        "split_flagged",
        "split_reason",
        "split_total",
        "payment",
    )
    fields = readonly_fields


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ("estate", "period_start", "period_end", "published_at", "figures_hash")
    list_select_related = ("estate",)
    readonly_fields = (
        "estate",
        "period_start",
        "period_end",
        "figures",
        "figures_hash",
        "last_sequence",
        "published_at",
        "published_by",
    )
    fields = readonly_fields
