"""Forms of the pages: labelled for screen readers, and showing a service's refusal next to the field it concerns.

A page never decides a rule: it calls the service with ``request.user`` and, when the service
refuses (``core.errors.ApplicationError``), shows the refusal's message next to the field its
``code`` names (``FIELD_OF_CODE``), keeping what was typed.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError


class PageForm(forms.Form):
    """A form whose widgets say which hint and error describe them (WCAG 1.3.1, 3.3.1)."""

    # Service refusal codes → the field whose input they concern (others show above the form).
    FIELD_OF_CODE: dict[str, str] = {}

    def full_clean(self) -> None:
        super().full_clean()
        self._describe()

    def _describe(self) -> None:
        for name, bound in self.fields.items():
            widget = bound.widget
            ids = []
            auto_id = self[name].id_for_label
            if bound.help_text:
                ids.append(f"{auto_id}_hint")
            if self._errors and name in self._errors:
                ids.append(f"{auto_id}_error")
                widget.attrs["aria-invalid"] = "true"
            else:
                widget.attrs.pop("aria-invalid", None)
            if ids:
                widget.attrs["aria-describedby"] = " ".join(ids)
            else:
                widget.attrs.pop("aria-describedby", None)

    def refuse(self, exc: ApplicationError) -> None:
        """Show a service's refusal next to the field its code names, or above the form."""
        field = self.FIELD_OF_CODE.get(exc.code)
        self.add_error(field if field in self.fields else None, exc.message)
        self._describe()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def money_field(label, **kwargs) -> forms.DecimalField:
    """Yuan with fen, positive."""
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


REASON = _("原因")


class UploadRefusals:
    """Refusals of ``core.uploads.check_upload`` belong next to the file field."""

    UPLOAD_CODES = ("upload_too_large", "upload_suspicious", "upload_empty", "upload_type")

    def refuse(self, exc: ApplicationError) -> None:
        if exc.code in self.UPLOAD_CODES and self.FILE_FIELD in self.fields:
            self.add_error(self.FILE_FIELD, exc.message)
            self._describe()
            return
        super().refuse(exc)
