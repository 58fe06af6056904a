"""The register's admin: every write goes through ``residents.services``, which checks the user's right and audits it.

A refused write (a rule of the domain or a missing right) is shown as a message on the form,
and nothing is written. Deletions are not offered: the register keeps its history, and
units, owners and members change through their services.
"""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin

from core.errors import ApplicationError
from governance.admin import ScopedAdminMixin
from residents import services
from residents.exports import OwnerResource
from residents.models import (
    ImportJob,
    Occupancy,
    Owner,
    Ownership,
    Participation,
    PartyMember,
    PropertyUnit,
    Resident,
    Skill,
)


class ServiceAdminMixin(ScopedAdminMixin):
    """Show a service's refusal on the form it came from, with nothing written; offer no deletion."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:  # raised inside the admin's transaction, which rolled back
            self.message_user(request, exc.message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PropertyUnit)
class PropertyUnitAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "estate", "use", "area", "area_source", "delivered")
    list_filter = ("use", "area_source", "delivered")
    list_select_related = ("building", "estate")
    search_fields = ("room", "building__name")
    autocomplete_fields = ("building",)
    fields = ("building", "stairway", "room", "use", "registered_area", "surveyed_area", "contract_area", "delivered")

    def get_readonly_fields(self, request, obj=None):
        return ("building",) if obj else ()

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in services.UNIT_FIELDS if k in form.cleaned_data}
        if change:
            # ``obj`` already carries the form's values; the service compares against the record.
            unit = PropertyUnit.objects.get(pk=obj.pk)
            services.unit_update(unit=unit, actor=request.user, **data)
        else:
            obj.pk = services.unit_create(building=form.cleaned_data["building"], actor=request.user, **data).pk


@admin.register(Owner)
class OwnerAdmin(ServiceAdminMixin, ExportMixin, admin.ModelAdmin):
    resource_classes = [OwnerResource]
    list_display = ("owner_name", "kind", "is_developer", "id_number_masked", "phone_masked", "place")
    list_filter = ("kind", "is_developer")
    list_select_related = ("person", "place")
    search_fields = ("person__name", "org_name")
    readonly_fields = ("kind", "person", "credit_code", "place")
    fields = ("kind", "person", "org_name", "credit_code", "is_developer", "place")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person", "place")

    @admin.display(description=_("业主"))
    def owner_name(self, owner):
        return owner.name

    @admin.display(description=_("身份证号"))
    def id_number_masked(self, owner):
        return owner.person.id_number_masked if owner.person_id else ""

    @admin.display(description=_("手机号"))
    def phone_masked(self, owner):
        return owner.person.phone_masked if owner.person_id else ""

    def has_add_permission(self, request):
        return False  # owners come from the register import or the API

    def save_model(self, request, obj, form, change):
        owner = Owner.objects.get(pk=obj.pk)
        fields = {k: form.cleaned_data[k] for k in services.OWNER_FIELDS if k in form.cleaned_data}
        services.owner_update(owner=owner, actor=request.user, **fields)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        """The export is the service's: it checks the user's right, masks, neutralises formulas and logs it."""
        data = services.owners_export(
            owners=queryset,
            file_format=file_format,
            actor=request.user,
            fields=self.get_export_resource_fields_from_form(kwargs.get("export_form")),
        )
        encoding = kwargs.get("encoding")
        if not file_format.is_binary() and encoding:
            data = data.encode(encoding)
        return data


@admin.register(Ownership)
class OwnershipAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("unit", "owner", "start", "end", "share", "registered")
    list_select_related = ("unit__building", "owner__person")
    search_fields = ("unit__room", "owner__person__name", "owner__org_name")

    def has_add_permission(self, request):
        return False  # a sale goes through ownership_transfer (API) or the import

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Resident)
class ResidentAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("person", "relation", "unit", "start", "end")
    list_filter = ("relation",)
    list_select_related = ("person", "unit__building")
    search_fields = ("person__name", "unit__room")
    readonly_fields = ("unit", "person", "relation", "start", "end")

    def has_add_permission(self, request):
        return False


@admin.register(Occupancy)
class OccupancyAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("unit", "state", "since")
    list_filter = ("state",)
    list_select_related = ("unit__building",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    """The district's list of skills: staff read it, a superuser edits it."""

    list_display = ("name",)  # the code is the machine's key: searchable, not a column people read
    search_fields = ("code", "name")

    def has_module_permission(self, request):
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request, obj=None):
        return bool(request.user.is_active and request.user.is_staff)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0
    readonly_fields = ("date", "activity")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PartyMember)
class PartyMemberAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("person", "organization", "in_service", "registered_on")
    list_filter = ("in_service", "skills")
    list_select_related = ("person", "organization")
    search_fields = ("person__name", "skills__name", "skills__code")
    filter_horizontal = ("skills",)
    readonly_fields = ("person", "organization")
    inlines = [ParticipationInline]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        pass  # written with its skills in ``save_related``, by the service

    def save_related(self, request, form, formsets, change):
        names = ("in_service", "registered_on", "workplace")
        fields = {k: form.cleaned_data[k] for k in names if k in form.cleaned_data}
        services.party_member_update(
            member=PartyMember.objects.get(pk=form.instance.pk),
            actor=request.user,
            skills=form.cleaned_data.get("skills", []),
            **fields,
        )


@admin.register(ImportJob)
class ImportJobAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Upload a register file here; the import runs in the background and the row shows its progress."""

    list_display = ("created_at", "estate", "file_name", "state", "percent", "processed_rows", "error_count")
    list_filter = ("state",)
    list_select_related = ("estate",)
    autocomplete_fields = ("estate",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("estate", "file", "on")
        return (
            "estate",
            "file_name",
            "on",
            "state",
            "total_rows",
            "processed_rows",
            "total_units",
            "written_units",
            "error_count",
            "errors",
            "summary",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        )

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj else ()

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    @admin.display(description=_("进度"))
    def percent(self, job):
        return f"{job.percent}%"

    def save_model(self, request, obj, form, change):
        job = services.register_import_submit(
            estate=form.cleaned_data["estate"],
            file=form.cleaned_data["file"],
            on=form.cleaned_data.get("on"),
            actor=request.user,
        )
        obj.pk = job.pk
