"""The admin shows votes and ballots read-only; its one write, closing a vote, calls the service."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from elections import services
from elections.models import Ballot, BallotBox, Candidate, NoticePosting, Proxy, RefusedBallot, Vote, VoteStep
from governance.admin import ScopedAdminMixin
from governance.scoping import Action


class ReadOnlyScopedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Append-only records: no add, change or delete here, ever."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StepInline(admin.TabularInline):
    model = VoteStep
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "at", "reason"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Vote)
class VoteAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "estate", "kind", "matter", "status", "opens_at", "closes_at"]
    list_filter = ["kind", "status", "matter"]
    search_fields = ["title", "estate__name"]
    inlines = [StepInline]
    actions = ["close_voting"]

    @admin.action(description=_("结束投票并计票"))
    def close_voting(self, request, queryset):
        for vote in queryset:
            try:
                services.vote_close(vote=vote, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{vote}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, _("已结束投票，计票已开始：%(v)s") % {"v": vote}, messages.SUCCESS)


@admin.register(Candidate)
class CandidateAdmin(ReadOnlyScopedAdmin):
    list_display = ["vote", "owner", "nominated_by", "is_party_member", "eligible"]
    list_filter = ["nominated_by", "eligible", "is_party_member"]


@admin.register(Ballot)
class BallotAdmin(ReadOnlyScopedAdmin):
    list_display = ["vote", "seq", "channel", "valid", "voided", "paper_serial", "cast_at"]
    list_filter = ["channel", "valid", "voided"]
    exclude = ["choice", "approve"]  # the admin is no place to read how an owner voted


@admin.register(RefusedBallot)
class RefusedBallotAdmin(admin.ModelAdmin):
    list_display = ["vote", "reason", "channel", "at"]
    list_filter = ["reason", "channel"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(vote__in=Vote.objects.restrict(request.user, Action.VIEW))


@admin.register(Proxy)
class ProxyAdmin(ReadOnlyScopedAdmin):
    """Registered mandates, read-only: they are accepted or refused through the API by staff who run the vote."""

    list_display = ["vote", "owner", "name", "status", "registered_at", "decided_at"]
    list_filter = ["status"]
    exclude = ["mandate"]  # the document itself is read through its audited URL


@admin.register(BallotBox)
class BallotBoxAdmin(ReadOnlyScopedAdmin):
    list_display = ["vote", "label", "channel", "sealed_at", "sealed_by", "entry_done_at"]


@admin.register(NoticePosting)
class NoticePostingAdmin(ReadOnlyScopedAdmin):
    list_display = ["vote", "posted_on", "posted_by", "recorded_by", "recorded_at"]
