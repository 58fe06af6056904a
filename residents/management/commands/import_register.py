"""``python manage.py import_register ESTATE_ID FILE``: import an estate's register, or report why not."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from governance.models import Place, PlaceKind
from governance.scoping import SYSTEM
from residents import services


class Command(BaseCommand):
    help = "Import an estate's register from CSV (UTF-8 or GB18030) or XLSX; nothing is imported if any line is bad."

    def add_arguments(self, parser):
        parser.add_argument("estate_id", type=int)
        parser.add_argument("file")
        parser.add_argument(
            "--on",
            type=datetime.date.fromisoformat,
            default=None,
            help="Date ownership changes take effect (default: today).",
        )

    def handle(self, *args, estate_id, file, on, **options):
        try:
            estate = Place.objects.get(pk=estate_id, kind=PlaceKind.ESTATE)
        except Place.DoesNotExist:
            raise CommandError(_("没有 id 为 %s 的小区。") % estate_id) from None
        try:
            fh = open(file, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        with fh:
            try:
                report, summary = services.register_import_file(estate=estate, file=fh, name=file, on=on, actor=SYSTEM)
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
        if not report.ok:
            for error in report.errors:
                column = f" [{error['column']}]" if error["column"] else ""
                self.stderr.write(_("第 %(line)s 行%(column)s：%(message)s") % {**error, "column": column})
            if report.error_count > len(report.errors):
                self.stderr.write(_("……共 %s 处错误。") % report.error_count)
            raise CommandError(_("文件有 %s 处错误，未导入任何数据。") % report.error_count)
        self.stdout.write(_("已导入 %(rows)s 行（%(units)s 户）：") % summary)
        for key, value in summary.items():
            if key not in ("rows", "units", "area_changes"):
                self.stdout.write(f"  {key}: {value}")
        for change in summary["area_changes"]:
            self.stdout.write(
                _("  %(unit)s：计入面积 %(from)s → %(to)s（%(reason)s）")
                % {"unit": change["unit"], "from": change["from"], "to": change["to"], "reason": change["reason"]}
            )
