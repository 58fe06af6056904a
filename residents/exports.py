"""What the register's spreadsheet exports contain: ID and phone numbers masked, every cell formula-safe.

The export itself (with its rights check and audit row) is ``residents.services.owners_export``.
"""

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from core.spreadsheets import safe_row
from residents.models import Owner


class OwnerResource(resources.ModelResource):
    """The owners export: ID and phone numbers masked, like every list; text that could be a formula quoted."""

    name = fields.Field(attribute="name", column_name=_("姓名/名称"))
    id_number = fields.Field(column_name=_("身份证号"))
    phone = fields.Field(column_name=_("手机号"))

    class Meta:
        model = Owner
        fields = ("id", "name", "kind", "is_developer", "credit_code", "place__name", "id_number", "phone")
        export_order = fields

    def dehydrate_id_number(self, owner):
        return owner.person.id_number_masked if owner.person_id else ""

    def dehydrate_phone(self, owner):
        return owner.person.phone_masked if owner.person_id else ""

    def export_resource(self, instance, selected_fields=None, **kwargs):
        # An owner named ``=cmd|' /C calc'!A0`` must reach a spreadsheet as text (issue 10 item 4).
        return safe_row(super().export_resource(instance, selected_fields, **kwargs))
