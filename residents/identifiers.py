"""Check digits of the two identifiers an owner is known by.

- The 18-character resident identity number (GB 11643): 17 digits and a check
  character computed with ISO 7064 MOD 11-2.
- The 18-character unified social credit code of an organization (GB 32100): a
  check character over the first 17, in an alphabet of 31 characters (no I, O, Z, S, V).
"""

import datetime

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_ALPHABET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id_check_char(body17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character of the first 17 digits of an ID number."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True)) % 11]


def is_resident_id(value: str) -> bool:
    """Whether ``value`` is a well-formed 18-character resident ID: digits, a real birth date, the check character."""
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return False
    try:
        datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return resident_id_check_char(value[:17]) == value[17]


def credit_code_check_char(body17: str) -> str:
    """Return the GB 32100 check character of the first 17 characters of a credit code."""
    total = sum(_CREDIT_VALUE[c] * w for c, w in zip(body17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def is_credit_code(value: str) -> bool:
    """Whether ``value`` is a well-formed unified social credit code with the right check character."""
    if len(value) != 18 or any(c not in _CREDIT_VALUE for c in value):
        return False
    return credit_code_check_char(value[:17]) == value[17]


def make_resident_id(region: str, birth: datetime.date, serial: int) -> str:
    """Build a valid ID number from a six-digit region code, a birth date and a three-digit serial."""
    body = f"{region}{birth:%Y%m%d}{serial % 1000:03d}"
    return body + resident_id_check_char(body)


def make_credit_code(serial: int, prefix: str = "91500105") -> str:
    """Build a valid credit code: an enterprise prefix (Chongqing Jiangbei by default) and a serial."""
    body = f"{prefix}{serial % 10**9:09d}"
    return body + credit_code_check_char(body)
