"""A key rotation: every stored personal-data token encrypted again under the first key of PII_KEYS."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection

from core.errors import NotPermitted
from core.tests.test_crypto import FERNET_PHONE, ID_NUMBER, KEY_NEW, KEY_OLD
from governance import services
from governance.models import AuditEvent, Person
from governance.scoping import SYSTEM
from oversight.models import Petition

pytestmark = pytest.mark.django_db


def _tokens(model, pk, *columns) -> tuple:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()


@pytest.fixture
def written_under_the_old_key(settings, world):
    """A person and a petition written under KEY_OLD, and a phone number still a Fernet token; then KEY_NEW first."""
    settings.PII_KEYS = [KEY_OLD]
    person = Person.objects.create(name="王大爷", place=world["estate_a"])
    person.set_id_number(ID_NUMBER)
    person.save()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE governance_person SET phone = %s WHERE id = %s", [FERNET_PHONE, person.pk])
    petition = Petition.objects.create(
        received_on=datetime.date(2026, 11, 2),
        place=world["estate_a"],
        category="property",
        channel="visit",
        summary="物业收费",
        petitioner_name="李阿姨",
        petitioner_contact="13800001234",
    )
    settings.PII_KEYS = [KEY_NEW, KEY_OLD]
    return person, petition


def test_after_the_rotation_every_value_reads_with_the_new_key_alone(settings, written_under_the_old_key):
    person, petition = written_under_the_old_key
    stored = Person.objects.get(pk=person.pk)
    hashes = _tokens(Person, person.pk, "id_number_hash", "phone_hash")
    counts = services.personal_data_reencrypt(actor=SYSTEM)
    assert counts["governance.Person.id_number"] == counts["governance.Person.phone"] == 1
    assert counts["oversight.Petition.petitioner_name"] == counts["oversight.Petition.petitioner_contact"] == 1
    settings.PII_KEYS = [KEY_NEW]
    again = Person.objects.get(pk=person.pk)
    assert (again.id_number, again.phone) == (ID_NUMBER, stored.phone) and stored.phone
    assert Petition.objects.get(pk=petition.pk).petitioner_contact == "13800001234"
    # The values did not change: neither did the keyed hashes people are matched by.
    assert _tokens(Person, person.pk, "id_number_hash", "phone_hash") == hashes


def test_a_rotation_is_audited_with_its_counts_and_a_second_run_finds_nothing(written_under_the_old_key):
    services.personal_data_reencrypt(actor=SYSTEM)
    assert not any(services.personal_data_reencrypt(actor=SYSTEM).values())
    (event,) = AuditEvent.objects.filter(action="personal_data.reencrypt")
    assert event.by_system and event.data["counts"]["governance.Person.phone"] == 1


def test_the_check_counts_and_writes_nothing(written_under_the_old_key):
    person, _petition = written_under_the_old_key
    before = _tokens(Person, person.pk, "id_number", "phone")
    with pytest.raises(SystemExit):
        call_command("reencrypt_personal_data", "--check")
    assert _tokens(Person, person.pk, "id_number", "phone") == before
    assert not AuditEvent.objects.filter(action="personal_data.reencrypt").exists()


def test_only_a_system_administrator_may_rotate_and_a_refusal_changes_nothing(cast, written_under_the_old_key):
    person, _petition = written_under_the_old_key
    before = _tokens(Person, person.pk, "id_number", "phone")
    with pytest.raises(NotPermitted):
        services.personal_data_reencrypt(actor=cast["auditor"])
    assert _tokens(Person, person.pk, "id_number", "phone") == before


def test_the_command_names_a_missing_key_instead_of_writing(settings, written_under_the_old_key):
    settings.PII_KEYS = [KEY_NEW]  # the old key dropped before the rotation ran
    with pytest.raises(Exception, match="PII_KEYS"):
        call_command("reencrypt_personal_data")
