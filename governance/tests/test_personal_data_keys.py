"""A decryption failure never erases personal data (issue 8 item 6)."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from core.crypto import DecryptionError
from governance import services
from governance.models import Person
from governance.scoping import SYSTEM

pytestmark = pytest.mark.django_db

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
ID_NUMBER = "500105195305121234"


def stored(person) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM governance_person WHERE id = %s", [person.pk])
        return cursor.fetchone()


@pytest.fixture
def person(settings, world):
    settings.PII_KEYS = [KEY_A]
    return services.person_create(
        name="张三", place=world["estate_a"], id_number=ID_NUMBER, phone="13812345678", actor=SYSTEM
    )


def test_renaming_under_a_missing_key_is_refused_loudly_and_the_tokens_survive(settings, person):
    tokens = stored(person)
    settings.PII_KEYS = [KEY_B]  # key A retired by mistake
    with pytest.raises(DecryptionError, match=r"governance\.Person\.(id_number|phone).*PII_KEYS"):
        services.person_update(person=Person.objects.get(pk=person.pk), name="张三丰", actor=SYSTEM)
    assert stored(person) == tokens
    settings.PII_KEYS = [KEY_A]  # key A restored
    restored = Person.objects.get(pk=person.pk)
    assert (restored.name, restored.id_number, restored.phone) == ("张三", ID_NUMBER, "13812345678")


def test_renaming_through_the_api_leaves_the_encrypted_numbers_untouched(api, cast, person):
    tokens = stored(person)
    response = api.as_user(cast["secretary_a"]).patch(f"/api/v1/people/{person.pk}/", {"name": "张三丰"}, format="json")
    assert response.status_code == 200
    assert Person.objects.get(pk=person.pk).name == "张三丰"
    assert stored(person) == tokens


def test_a_plain_save_writes_only_the_encrypted_fields_that_changed(person):
    tokens = stored(person)
    loaded = Person.objects.get(pk=person.pk)
    loaded.name = "张三丰"
    loaded.save()
    assert stored(person) == tokens
    loaded.set_phone("13900000000")
    loaded.save()
    assert stored(person)[0] == tokens[0] and stored(person)[1] != tokens[1]
    assert Person.objects.get(pk=person.pk).phone == "13900000000"


def test_a_retired_key_kept_after_the_new_one_still_reads_old_values(settings, person):
    settings.PII_KEYS = [KEY_B, KEY_A]
    assert Person.objects.get(pk=person.pk).id_number == ID_NUMBER
