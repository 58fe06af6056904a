"""Personal data at rest: authenticated encryption, keyed hashes for matching, and masking.

ID numbers and phone numbers are stored encrypted; a keyed hash (HMAC-SHA256) of the
normalised value lets the platform find "the same buyer" without decrypting anything.

Tokens are AES-256-GCM (``g1:`` then urlsafe base64 of a random 96-bit nonce, the ciphertext
and its tag), under a key derived with HKDF from each key of ``settings.PII_KEYS``; the first
key encrypts, every key decrypts, as with ``MultiFernet``. One C call per value: a Fernet
token (AES-CBC and a separate HMAC, built in Python per value) cost eight times as much, which
the register import paid for every ID and phone number. Fernet tokens written before still
decrypt (they never contain ``:``), under the same keys. Random nonces keep a key well within
GCM's bound (2**32 values) for any register this platform will hold; rotate keys long before.

A value that none of ``settings.PII_KEYS`` can decrypt is an error, never an empty string:
read as "" it would be written back as "" by the next save and lost for good. Models with
encrypted fields also write only the encrypted fields that changed (``EncryptedFieldsModel``),
so that renaming a person never rewrites their ID or phone number.
"""

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models


class DecryptionError(Exception):
    """A stored value cannot be decrypted with any configured key: a key is missing from PII_KEYS."""


# The version prefix of an AES-GCM token; a Fernet token is urlsafe base64 and never holds ``:``.
PREFIX = "g1:"
NONCE_BYTES = 12
SHA256_BLOCK = 64  # bytes: HMAC pads its key to the hash's block
# HKDF's context: the AES key is bound to this use, apart from the Fernet keys it derives from.
HKDF_INFO = b"gongzhi personal data: AES-256-GCM tokens, version 1"


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    """The Fernet keys, for tokens written before AES-GCM."""
    return MultiFernet([Fernet(key.encode()) for key in settings.PII_KEYS])


def _derive(key: str) -> AESGCM:
    secret = base64.urlsafe_b64decode(key.encode())
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret))


@lru_cache(maxsize=1)
def _aeads() -> tuple[AESGCM, ...]:
    """One AES-GCM cipher per key of ``PII_KEYS``, in order: the first encrypts."""
    return tuple(_derive(key) for key in settings.PII_KEYS)


def forget_keys(setting: str = "", **kwargs) -> None:
    """Drop the cached keys when ``PII_KEYS`` changes (a ``setting_changed`` receiver: tests rotate keys)."""
    if setting == "PII_KEYS":
        _fernet.cache_clear()
        _aeads.cache_clear()


def normalise(value: str) -> str:
    """Return the canonical form of an ID or phone number: no spaces, upper case."""
    return "".join(value.split()).upper()


def keyed_hash(value: str) -> str:
    """Return the matching hash of a personal identifier ('' for an empty value)."""
    value = normalise(value or "")
    if not value:
        return ""
    return hmac.new(settings.PII_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def _seal(aead: AESGCM, nonce: bytes, value: str) -> str:
    return PREFIX + base64.urlsafe_b64encode(nonce + aead.encrypt(nonce, value.encode(), None)).decode()


def _open(token: str) -> str:
    """The clear value of an AES-GCM token, trying each key; ``InvalidToken`` if none opens it."""
    try:
        sealed = base64.urlsafe_b64decode(token[len(PREFIX) :].encode())
    except ValueError:
        raise InvalidToken from None
    nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    for aead in _aeads():
        try:
            return aead.decrypt(nonce, ciphertext, None).decode()
        except (InvalidTag, ValueError):  # another key's, altered, or cut short
            continue
    raise InvalidToken


def encrypt(value: str) -> str:
    """Return a token of ``value`` under the first key of ``PII_KEYS`` ('' for '')."""
    if not value:
        return ""
    return _seal(_aeads()[0], os.urandom(NONCE_BYTES), value)


def decrypt(token: str, what: str = "a personal-data field") -> str:
    """Return the clear value of ``token``; raise ``DecryptionError`` (naming ``what``) if no key opens it.

    Altered tokens are refused alike: both schemes authenticate every byte.
    """
    if not token:
        return ""
    try:
        if token.startswith(PREFIX):
            return _open(token)
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            f"Cannot decrypt {what}: it was encrypted with a key that is not in PII_KEYS. "
            "Put the retired key back in PII_KEYS (after the current one) and try again; "
            "nothing has been changed."
        ) from None


def current(token: str) -> bool:
    """Whether ``token`` is already what ``encrypt`` writes now: an AES-GCM token the first key opens (or empty)."""
    if not token:
        return True
    if not token.startswith(PREFIX):
        return False  # a Fernet token, from before AES-GCM
    try:
        sealed = base64.urlsafe_b64decode(token[len(PREFIX) :].encode())
        _aeads()[0].decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], None)
    except (InvalidTag, ValueError):
        return False
    return True


def keyed_hash_many(values: Sequence[str]) -> list[str]:
    """Return ``keyed_hash`` of each value, for bulk work.

    HMAC-SHA256 as RFC 2104 builds it, from the two keyed SHA-256 states copied per value: half
    the time of copying an ``hmac`` object, whose Python wrapper costs more than the hashing.
    """
    key = settings.PII_HASH_KEY.encode()
    if len(key) > SHA256_BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(SHA256_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key)).copy
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key)).copy
    hashes = []
    for value in values:
        value = normalise(value or "")
        if not value:
            hashes.append("")
            continue
        h = inner()
        h.update(value.encode())
        o = outer()
        o.update(h.digest())
        hashes.append(o.hexdigest())
    return hashes


def encrypt_many(values: Sequence[str]) -> list[str]:
    """Return ``encrypt`` of each value ('' for ''), for bulk work: the nonces drawn in one call."""
    aead = _aeads()[0]
    nonces = os.urandom(NONCE_BYTES * len(values))
    return [
        _seal(aead, nonces[k * NONCE_BYTES : (k + 1) * NONCE_BYTES], value) if value else ""
        for k, value in enumerate(values)
    ]


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
    """A text column holding an encrypted token (``encrypt``); Python code sees the clear value.

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
