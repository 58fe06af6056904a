from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.core.signals import setting_changed
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from core import checks  # noqa: F401  (registers the deployment checks)
        from core.appendonly import register_sqlite_functions
        from core.caching import create_cache_table
        from core.crypto import forget_keys

        connection_created.connect(register_sqlite_functions, dispatch_uid="gongzhi_sqlite_functions")
        setting_changed.connect(forget_keys, dispatch_uid="gongzhi_forget_pii_keys")
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="gongzhi_cache_table")
