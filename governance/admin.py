"""The admin: the same write services as the API, called with the staff user as the actor.

Rights are the services' to check. The admin only scopes what a staff user sees (the
querysets and the choices of foreign keys) and turns a refusal into a message on the form.
"""

from django import forms, http
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as celery_beat_admin
from django_celery_beat.models import PeriodicTask
from mptt.admin import DraggableMPTTAdmin

from core.errors import ApplicationError
from governance import selectors, services
from governance.models import (
    AuditEvent,
    CoverageSnapshot,
    DistrictRule,
    Organization,
    Person,
    Place,
    Post,
    RoleAssignment,
    User,
)
from governance.rules import rule_refusal
from governance.scoping import Action


class ServiceAdminMixin:
    """Write through the services; a refusal comes back as an error on the form, nothing written.

    ``refusal(request, obj, data)`` may name a refusal before anything is saved (the form
    then shows it on its field); a refusal raised by the service itself is caught around
    the whole form view, whose transaction has then rolled back, and shown as a message.
    """

    refusal_field = None

    def refusal(self, request, obj, data) -> str | None:
        return None

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)
        admin_ = self

        class ServiceCheckedForm(base):
            def clean(form):
                data = super().clean()
                if not form.errors and (message := admin_.refusal(request, obj, data)):
                    raise ValidationError({admin_.refusal_field: message} if admin_.refusal_field else message)
                return data

        return ServiceCheckedForm

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return http.HttpResponseRedirect(request.get_full_path())

    def delete_model(self, request, obj):
        try:
            self.delete(obj, request)
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)

    def delete(self, obj, request):
        raise NotImplementedError


class ScopedAdminMixin(ServiceAdminMixin):
    """Show each staff user only what their roles let them see; the services decide what they may change."""

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, Action.VIEW)

    def _may(self, request, obj, action) -> bool:
        if obj is None:
            return request.user.is_superuser or bool(request.user.is_staff)
        return type(obj).objects.filter(pk=obj.pk).restrict(request.user, action).exists()

    def has_view_permission(self, request, obj=None):
        return bool(request.user.is_active and request.user.is_staff)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A staff user may only attach records to places and organizations they may change.
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field.queryset, "restrict"):
            field.queryset = field.queryset.restrict(request.user, Action.CHANGE)
        return field

    def has_module_permission(self, request):
        return bool(request.user.is_active and request.user.is_staff)

    def has_change_permission(self, request, obj=None):
        return self._may(request, obj, Action.CHANGE)

    def has_add_permission(self, request):
        return bool(request.user.is_superuser or request.user.is_staff)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, obj, Action.CHANGE)


class TreeAdmin(ScopedAdminMixin, DraggableMPTTAdmin):
    """A draggable tree whose drops go through the same service as every other move."""

    mptt_level_indent = 20
    list_display = ("tree_actions", "indented_title", "kind")
    list_display_links = ("indented_title",)
    list_filter = ("kind",)
    search_fields = ("name",)
    refusal_field = "parent"

    class Media:
        # Indentation by class, not by a style attribute, which the Content Security Policy refuses.
        css = {"all": ["governance/admin-tree.css"]}

    @admin.display(description=_("名称"))
    def indented_title(self, item):
        return format_html('<div class="tree-level tree-level-{}">{}</div>', min(item._mpttfield("level"), 9), item)

    def move(self, node, parent, request):
        raise NotImplementedError

    def _move_node(self, request):
        position = request.POST.get("position")
        queryset = self.get_queryset(request)
        try:
            cut_item = queryset.get(pk=request.POST.get("cut_item"))
            pasted_on = queryset.get(pk=request.POST.get("pasted_on"))
        except (self.model.DoesNotExist, TypeError, ValueError):
            self.message_user(request, _("对象已不存在，请刷新后重试。"), level=messages.ERROR)
            return http.HttpResponse("FAIL, invalid objects.")
        if position == "last-child":
            parent = pasted_on
        elif position in ("left", "right"):
            parent = pasted_on.parent
        else:
            self.message_user(request, _("无法理解的移动指令。"), level=messages.ERROR)
            return http.HttpResponse("FAIL, unknown instruction.")
        try:
            self.move(cut_item, parent, request)
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return http.HttpResponse("FAIL, invalid move.")
        self.message_user(request, _("已移动“%s”。") % cut_item)
        return http.HttpResponse("OK, moved.")

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def get_actions(self, request):
        # Bulk tree deletion would bypass the rules that refuse deleting a node with children.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        actions.pop("delete_selected_tree", None)
        return actions


@admin.register(Place)
class PlaceAdmin(TreeAdmin):
    list_display = ("tree_actions", "indented_title", "kind", "code", "self_managed")
    fields = ("kind", "name", "code", "parent", "self_managed")

    def get_readonly_fields(self, request, obj=None):
        return ("kind", "parent") if obj else ()

    def refusal(self, request, obj, data):
        if obj is None:
            return services.place_create_refusal(actor=request.user, parent=data.get("parent"))
        return None

    def save_model(self, request, obj, form, change):
        if change:
            services.place_update(
                place=obj, actor=request.user, name=obj.name, code=obj.code, self_managed=obj.self_managed
            )
        else:
            saved = services.place_create(
                kind=obj.kind,
                name=obj.name,
                parent=obj.parent,
                code=obj.code,
                self_managed=obj.self_managed,
                actor=request.user,
            )
            obj.pk = saved.pk

    def move(self, node, parent, request):
        services.place_move(place=node, parent=parent, actor=request.user)

    def delete(self, obj, request):
        services.place_delete(place=obj, actor=request.user)


@admin.register(Organization)
class OrganizationAdmin(TreeAdmin):
    list_display = ("tree_actions", "indented_title", "kind", "function", "place")
    list_select_related = ("place",)
    fields = ("kind", "function", "name", "parent", "place", "buildings")
    autocomplete_fields = ("place", "buildings")

    def get_readonly_fields(self, request, obj=None):
        return ("kind", "parent") if obj else ()

    def save_model(self, request, obj, form, change):
        # Buildings are set by the service once the row exists (see save_related).
        request._gongzhi_buildings = form.cleaned_data.get("buildings")
        if change:
            services.organization_update(
                organization=obj, actor=request.user, name=obj.name, function=obj.function, place=obj.place
            )
        else:
            saved = services.organization_create(
                kind=obj.kind,
                name=obj.name,
                place=obj.place,
                parent=obj.parent,
                function=obj.function,
                actor=request.user,
                buildings=[],
            )
            obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        buildings = getattr(request, "_gongzhi_buildings", None)
        if buildings is not None:
            services.organization_update(organization=form.instance, actor=request.user, buildings=list(buildings))

    def move(self, node, parent, request):
        services.organization_move(organization=node, parent=parent, actor=request.user)

    def delete(self, obj, request):
        services.organization_delete(organization=obj, actor=request.user)


@admin.register(Person)
class PersonAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "id_number_masked", "phone_masked", "place")
    search_fields = ("name",)
    fields = ("name", "birth_date", "place")
    list_select_related = ("place",)
    autocomplete_fields = ("place",)

    @admin.display(description=_("身份证号"))
    def id_number_masked(self, person):
        return person.id_number_masked

    @admin.display(description=_("手机号"))
    def phone_masked(self, person):
        return person.phone_masked

    def save_model(self, request, obj, form, change):
        if change:
            # The form has already set the new values on ``obj``: the service compares with the row as stored.
            stored = Person.objects.get(pk=obj.pk)
            services.person_update(person=stored, actor=request.user, **form.cleaned_data)
        else:
            obj.pk = services.person_create(actor=request.user, **form.cleaned_data).pk

    def delete(self, obj, request):
        raise ApplicationError(_("人员记录不能删除。"), code="not_deletable")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Post)
class PostAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("person", "kind", "body", "organization", "place", "start", "end")
    list_filter = ("body", "kind")
    list_select_related = ("person", "organization", "place")
    search_fields = ("person__name",)
    autocomplete_fields = ("person", "organization", "place")

    def save_model(self, request, obj, form, change):
        data = {k: v for k, v in form.cleaned_data.items() if k != "id"}
        if change:
            # The form has already set the new values on ``obj``: the service compares with the row as stored.
            services.post_update(post=Post.objects.get(pk=obj.pk), actor=request.user, **data)
        else:
            obj.pk = services.post_create(actor=request.user, **data).pk

    def has_delete_permission(self, request, obj=None):
        # A post is ended (its end date), not deleted: the record of who held it stays.
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Logins, with their person; managed by superusers (others grant roles through role assignments)."""

    list_display = ("username", "person", "is_staff", "is_active")
    search_fields = ("username", "person__name")
    autocomplete_fields = ("person",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("人员"), {"fields": ("person",)}),
    )

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        password = form.cleaned_data.get("password1") if not change else None
        if change or not form.cleaned_data.get("usable_password", True) or not password:
            super().save_model(request, obj, form, change)
            return
        # A new login goes through the service (audited, password validators) like the API's.
        saved = services.user_create(
            username=obj.username, password=password, email=obj.email, person=obj.person, actor=request.user
        )
        obj.pk, obj.password, obj._state.adding = saved.pk, saved.password, False


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "role", "place", "granted_by", "created_at")
    list_filter = ("role",)
    list_select_related = ("user", "place", "granted_by")
    autocomplete_fields = ("user", "place")
    fields = ("user", "role", "place")

    def has_change_permission(self, request, obj=None):
        return False if obj else super().has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = selectors.users_visible_to(request.user)
            return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def refusal(self, request, obj, data):
        if obj is None and data.get("user") and data.get("role") and data.get("place"):
            return services.role_refusal(actor=request.user, user=data["user"], role=data["role"], place=data["place"])
        return None

    def save_model(self, request, obj, form, change):
        obj.pk = services.role_assignment_create(user=obj.user, role=obj.role, place=obj.place, actor=request.user).pk

    def delete(self, obj, request):
        services.role_assignment_delete(assignment=obj, actor=request.user)

    def get_actions(self, request):
        # Each withdrawal goes through the service, one by one.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(DistrictRule)
class DistrictRuleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """A district's own value of a configurable rule (``governance.rules``), set within the law by ``rule_set``."""

    list_display = ("district", "key", "value", "updated_at")
    list_filter = ("key",)
    list_select_related = ("district",)
    fields = ("district", "key", "value")
    refusal_field = "value"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "key":
            return forms.ChoiceField(label=db_field.verbose_name, choices=[(k, k) for k in settings.GONGZHI])
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # A rule's row keeps its district and key; only its value changes.
        return ("district", "key") if obj else ()

    def refusal(self, request, obj, data):
        key = obj.key if obj else data.get("key")
        return rule_refusal(key, data.get("value")) if key and "value" in data else None

    def save_model(self, request, obj, form, change):
        obj.pk = services.rule_set(district=obj.district, key=obj.key, value=obj.value, actor=request.user).pk

    def has_delete_permission(self, request, obj=None):
        # Going back to the default is setting the default's value: the change stays in the audit trail.
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "summary", "place")
    list_filter = ("action",)
    list_select_related = ("actor", "place")
    search_fields = ("summary", "action")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CoverageSnapshot)
class CoverageSnapshotAdmin(admin.ModelAdmin):
    list_display = ("place", "computed_at", "estates", "covered_estates")
    list_select_related = ("place",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(place__in=Place.objects.visible_to(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PeriodicTaskAdmin(celery_beat_admin.PeriodicTaskAdmin):
    """django-celery-beat's schedules, its one inline script carrying the Content Security Policy nonce."""

    change_form_template = "governance/admin/periodictask_change_form.html"


admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, PeriodicTaskAdmin)
