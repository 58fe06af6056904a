"""Personal data at rest: Fernet encryption, keyed hashes for matching, and masking.

ID numbers and phone numbers are stored encrypted; a keyed hash (HMAC-SHA256) of the
normalised value lets the platform find "the same buyer" without decrypting anything.

A value that none of ``settings.PII_KEYS`` can decrypt is an error, never an empty string:
read as "" it would be written back as "" by the next save and lost for good. Models with
encrypted fields also write only the encrypted fields that changed (``EncryptedFieldsModel``),
so that renaming a person never rewrites their ID or phone number.
"""

import hashlib
import hmac
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class DecryptionError(Exception):
    """A stored value cannot be decrypted with any configured key: a key is missing from PII_KEYS."""


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.PII_KEYS])


def forget_keys(setting: str = "", **kwargs) -> None:
    """Drop the cached keys when ``PII_KEYS`` changes (a ``setting_changed`` receiver: tests rotate keys)."""
    if setting == "PII_KEYS":
        _fernet.cache_clear()


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


def decrypt(token: str, what: str = "a personal-data field") -> str:
    """Return the clear value of ``token``; raise ``DecryptionError`` (naming ``what``) if no key opens it."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            f"Cannot decrypt {what}: it was encrypted with a key that is not in PII_KEYS. "
            "Put the retired key back in PII_KEYS (after the current one) and try again; "
            "nothing has been changed."
        ) from None


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
    """A text column holding a Fernet token; Python code sees the clear value.

    Reading a token that no configured key opens raises ``DecryptionError`` naming the field.
    """

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        return decrypt(value, what=f"{self.model._meta.label}.{self.name}") if value else ""

    def to_python(self, value):
        return value or ""

    def get_prep_value(self, value):
        return encrypt(value) if value else ""


class EncryptedFieldsModel(models.Model):
    """A model that writes its encrypted fields only when they changed.

    A plain ``save()`` writes every column; for an encrypted one that means a fresh token of
    the same value at best. This base remembers each encrypted field's value as loaded and
    leaves the unchanged ones out of the ``UPDATE``.
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_encrypted_as_loaded", None)
        if loaded and not self._state.adding and kwargs.get("update_fields") is None and not args:
            unchanged = {name for name, value in loaded.items() if self.__dict__.get(name) == value}
            if unchanged:
                kwargs["update_fields"] = [
                    f.name
                    for f in self._meta.concrete_fields
                    if not f.primary_key and f.attname not in unchanged and f.attname in self.__dict__
                ]
        super().save(*args, **kwargs)
        self._remember_encrypted()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._remember_encrypted()
        return instance

    @classmethod
    def _encrypted_attnames(cls) -> list[str]:
        return [f.attname for f in cls._meta.concrete_fields if isinstance(f, EncryptedCharField)]

    def _remember_encrypted(self) -> None:
        self._encrypted_as_loaded = {
            name: self.__dict__[name] for name in self._encrypted_attnames() if name in self.__dict__
        }
