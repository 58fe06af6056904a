"""Personal data at rest: AES-GCM tokens, the Fernet tokens written before them, keys, hashes and masks."""

import base64
import hashlib
import hmac

import pytest
from django.db import connection

from core import crypto
from governance import services
from governance.models import Person
from governance.scoping import SYSTEM

KEY_OLD = "Y3gpCslEULGc98DUP2lktweRArGT8VrGWVqKhJri-6g="
KEY_NEW = "dGVzdC1zdWl0ZS1waWkta2V5LW5vdC1mb3ItdXNlLSE="
# Written by Fernet under KEY_OLD before tokens became AES-GCM: stored data looks like this.
FERNET_PHONE = "gAAAAABrDz6e7d-P_ZCPUKVp7P2OZml8ln035kszdXeNYsvp1R8dntAHGWJV_LxJrAdTTaMF3ejnZ87svU01eCebPWCdwjhOTA=="
ID_NUMBER = "500105195305121234"


@pytest.fixture
def keys(settings):
    settings.PII_KEYS = [KEY_NEW, KEY_OLD]
    return settings


def _flip(token: str, position: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token.removeprefix(crypto.PREFIX)))
    raw[position] ^= 1
    return crypto.PREFIX + base64.urlsafe_b64encode(bytes(raw)).decode()


def test_a_value_reads_back_from_its_token(keys):
    token = crypto.encrypt(ID_NUMBER)
    assert token.startswith(crypto.PREFIX) and ID_NUMBER not in token
    assert crypto.decrypt(token) == ID_NUMBER


def test_bulk_tokens_read_back_each_with_its_own_nonce(keys):
    values = [f"1390000{n:04d}" for n in range(200)] + ["", "张三 500105195305121234"]
    tokens = crypto.encrypt_many(values)
    assert [crypto.decrypt(t) for t in tokens] == values
    assert tokens[200] == "" and len({t[:20] for t in tokens if t}) == len(values) - 1


def test_a_fernet_token_written_before_still_decrypts(keys):
    assert crypto.decrypt(FERNET_PHONE) == "13812345678"


def test_an_altered_token_is_refused_wherever_it_was_altered(keys):
    token = crypto.encrypt(ID_NUMBER)
    for position in (0, 11, 12, 20, -1):  # the nonce, the ciphertext, the tag
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(_flip(token, position))
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token[:-8])
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(FERNET_PHONE[:30] + ("A" if FERNET_PHONE[30] != "A" else "B") + FERNET_PHONE[31:])


def test_the_first_key_encrypts_and_a_retired_key_after_it_still_decrypts(settings):
    settings.PII_KEYS = [KEY_OLD]
    token = crypto.encrypt(ID_NUMBER)
    settings.PII_KEYS = [KEY_NEW, KEY_OLD]  # rotated: the old key kept after the new one
    assert crypto.decrypt(token) == ID_NUMBER
    fresh = crypto.encrypt(ID_NUMBER)
    settings.PII_KEYS = [KEY_NEW]
    assert crypto.decrypt(fresh) == ID_NUMBER


def test_a_token_under_a_key_no_longer_configured_is_refused_naming_the_field(settings):
    settings.PII_KEYS = [KEY_OLD]
    token = crypto.encrypt(ID_NUMBER)
    settings.PII_KEYS = [KEY_NEW]
    with pytest.raises(crypto.DecryptionError, match=r"governance\.Person\.id_number.*PII_KEYS"):
        crypto.decrypt(token, what="governance.Person.id_number")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(FERNET_PHONE)


def test_the_keyed_hash_that_matches_people_is_unchanged(settings):
    settings.PII_HASH_KEY = "fixed-hash-key-for-this-test"
    # HMAC-SHA256 of the normalised value, as stored in every existing id_number_hash and phone_hash.
    expected_id = "e7dd33b3db884025c273fe1acf2d120c0e70f5e88c6cc07e7565f7eb2e832e5f"
    expected_phone = "25f6b614f5824a1119a3277cb09c92bbc0dc47a671ed4142d20f47daa134fc4a"
    assert crypto.keyed_hash(" 500105 19530512123 4 ") == expected_id
    assert crypto.keyed_hash_many(["500105195305121234", "138 1234 5678", ""]) == [expected_id, expected_phone, ""]


@pytest.mark.parametrize("key", ["k", "x" * 64, "长" * 40])  # shorter than, as long as, longer than a block
def test_bulk_hashes_are_the_hmac_of_each_normalised_value_whatever_the_key_length(settings, key):
    settings.PII_HASH_KEY = key
    values = ["500105195305121234", " 50010519530512123x ", "138 1234 5678", "", "  "]
    expected = [
        hmac.new(key.encode(), v.encode(), hashlib.sha256).hexdigest() if v else ""
        for v in ("500105195305121234", "50010519530512123X", "13812345678", "", "")
    ]
    assert crypto.keyed_hash_many(values) == expected
    assert [crypto.keyed_hash(v) for v in values] == expected


def test_masks_are_unchanged():
    assert crypto.mask_id_number("500105195305121234") == "5001**********1234"
    assert crypto.mask_id_number("1234567") == "*******"
    assert crypto.mask_phone("138 1234 5678") == "138****5678"
    assert crypto.mask_phone("1234") == "****"


@pytest.mark.django_db
def test_a_person_is_stored_as_aes_gcm_tokens_and_a_person_stored_as_fernet_still_reads(keys, world):
    person = services.person_create(
        name="张三", place=world["estate_a"], id_number=ID_NUMBER, phone="13812345678", actor=SYSTEM
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM governance_person WHERE id = %s", [person.pk])
        assert all(token.startswith(crypto.PREFIX) for token in cursor.fetchone())
        cursor.execute("UPDATE governance_person SET phone = %s WHERE id = %s", [FERNET_PHONE, person.pk])
    loaded = Person.objects.get(pk=person.pk)
    assert (loaded.id_number, loaded.phone) == (ID_NUMBER, "13812345678")
