import importlib

from django.apps import apps
from django.core.management.base import BaseCommand

from governance.demo import DEMO_PASSWORD, DEMO_USERS
from governance.models import RoleAssignment


class Command(BaseCommand):
    help = "Load the demo district (Jiangbei, the Nanfang Shanggelin estate). Running it twice changes nothing."

    def handle(self, *args, **options):
        # Each app adds its own part, lower layers first (INSTALLED_APPS order).
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            module.load(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {DEMO_PASSWORD})"))
        self.stdout.write("  admin        superuser")
        for username, role, place in (
            RoleAssignment.objects.filter(user__username__in=[u[0] for u in DEMO_USERS])
            .order_by("user__date_joined", "pk")
            .values_list("user__username", "role", "place__name")
        ):
            self.stdout.write(f"  {username:<12} {role:<20} {place}")
        self.stdout.write("Open http://127.0.0.1:8000/ (admin at /admin/, API docs at /api/docs/)")
