"""Personal data at rest: Fernet encryption, keyed hashes for matching, and masking.

ID numbers and phone numbers are stored encrypted; a keyed hash (HMAC-SHA256) of the
normalised value lets the platform find "the same buyer" without decrypting anything.
"""

import base64
import hashlib
import hmac
import os
import struct
import time
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
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
        value = "".join((value or "").split()).upper()
        if not value:
            hashes.append("")
            continue
        h = keyed.copy()
        h.update(value.encode())
        hashes.append(h.hexdigest())
    return hashes


def encrypt_many(values: Sequence[str]) -> list[str]:
    """Return ``encrypt`` of each value (a Fernet token under the primary key; '' for ''), for bulk work.

    The tokens are Fernet's own, byte for byte (``Fernet.decrypt`` and ``decrypt`` read them),
    each with its own random IV; only the work is shared: one AES key schedule for the whole
    list, and the CBC chains of all values advanced together, a block at a time.
    """
    key = base64.urlsafe_b64decode(settings.PII_KEYS[0])
    return _fernet_tokens(values, key, int(time.time()), os.urandom(16 * len(values)))


def _fernet_tokens(values: Sequence[str], key: bytes, now: int, ivs: bytes) -> list[str]:
    """Fernet tokens of ``values`` under ``key`` at time ``now``, the i-th with IV ``ivs[16 i : 16 i + 16]``."""
    signing, encryption = key[:16], key[16:]
    aes = Cipher(algorithms.AES(encryption), modes.ECB()).encryptor()
    keyed = hmac.new(signing, digestmod=hashlib.sha256)
    head = b"\x80" + struct.pack(">Q", now)
    tokens = [""] * len(values)
    # PKCS7-padded plaintexts, grouped by their number of 16-byte blocks.
    groups: dict[int, list[tuple[int, bytes]]] = {}
    for i, value in enumerate(values):
        if value:
            data = value.encode()
            pad = 16 - len(data) % 16
            groups.setdefault((len(data) + pad) // 16, []).append((i, data + bytes((pad,)) * pad))
    for blocks, members in groups.items():
        size = 16 * len(members)
        # CBC: each block is encrypted after XOR with the previous ciphertext block (the IV first).
        # One XOR of big integers and one AES call per block position for the whole group.
        previous = b"".join(ivs[16 * i : 16 * i + 16] for i, _data in members)
        chains = []
        for b in range(blocks):
            plain = b"".join(data[16 * b : 16 * b + 16] for _i, data in members)
            mixed = (int.from_bytes(plain, "big") ^ int.from_bytes(previous, "big")).to_bytes(size, "big")
            previous = aes.update(mixed)
            chains.append(previous)
        for k, (i, _data) in enumerate(members):
            body = head + ivs[16 * i : 16 * i + 16] + b"".join(c[16 * k : 16 * k + 16] for c in chains)
            mac = keyed.copy()
            mac.update(body)
            tokens[i] = base64.urlsafe_b64encode(body + mac.digest()).decode()
    return tokens


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
