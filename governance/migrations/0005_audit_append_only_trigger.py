"""The audit trail is append-only in the database too (UPDATE, DELETE and TRUNCATE refused)."""

from django.db import migrations

from core.appendonly import append_only


class Migration(migrations.Migration):
    dependencies = [("governance", "0004_audit_by_system_district_rules")]

    operations = [append_only("governance", "AuditEvent")]
