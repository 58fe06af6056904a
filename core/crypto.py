"""Personal data at rest: Fernet encryption, keyed hashes for matching, and masking.

ID numbers and phone numbers are stored encrypted; a keyed hash (HMAC-SHA256) of the
normalised value lets the platform find "the same buyer" without decrypting anything.
"""

import hashlib
import hmac
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.PII_KEYS])


def normalise(value: str) -> str:
    """Return the canonical form of an ID or phone number: no spaces, upper case."""
    return "".join(value.split()).upper()


def keyed_hash(value: str) -> str:
    """Return the matching hash of a personal identifier ('' for an empty value)."""
    value = normalise(value or "")
    if not value:
        return ""
    return hmac.new(settings.PII_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # A value written under a retired key: refuse to guess, show nothing.
        return ""


def keyed_hash_many(values: Sequence[str]) -> list[str]:
    """Return ``keyed_hash`` of each value; one keyed HMAC copied per value, for bulk work."""
    keyed = hmac.new(settings.PII_HASH_KEY.encode(), digestmod=hashlib.sha256)
    hashes = []
    for value in values:
        value = normalise(value or "")
        if not value:
            hashes.append("")
            continue
        h = keyed.copy()
        h.update(value.encode())
        hashes.append(h.hexdigest())
    return hashes


def encrypt_many(values: Sequence[str]) -> list[str]:
    """Return ``encrypt`` of each value (a Fernet token under the primary key; '' for ''), for bulk work.

    One ``Fernet`` for the whole list: decryption needs the ``MultiFernet`` of every key, but
    encryption only ever uses the first, and building it once per list saves the key setup per value.
    """
    fernet = Fernet(settings.PII_KEYS[0].encode())
    return [fernet.encrypt(value.encode()).decode() if value else "" for value in values]


def mask_id_number(value: str) -> str:
    """Mask an ID number as ``5001**********1234``: the first four and last four stay."""
    value = normalise(value or "")
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """Mask a phone number as ``138****5678``."""
    value = normalise(value or "")
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


class EncryptedCharField(models.TextField):
    """A text column holding a Fernet token; Python code sees the clear value."""

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else ""

    def to_python(self, value):
        return value or ""

    def get_prep_value(self, value):
        return encrypt(value) if value else ""
