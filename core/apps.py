from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from core.appendonly import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="gongzhi_sqlite_functions")
