"""The admin's password policy, for every password the admin sets (a new
user, a user's password changed in Piccolo Admin, change-password):

- at least ``MIN_LENGTH`` characters (and at most Piccolo's 128);
- not one of the 30,000 most common passwords of zxcvbn's list (from leaked
  password sets), whatever its letter case, nor one of them with digits or
  punctuation added at the end;
- not containing the username.

MFA (``admin.mfa``) is the second factor on top.
"""

from __future__ import annotations

import re

from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON = frozenset(FREQUENCY_LISTS["passwords"])
_TAIL = re.compile(r"[\d\W_]+$")


class WeakPassword(ValueError):
    """A password the policy refuses; the message says why."""


def check_password(password: str, username: str = "") -> None:
    """Raise WeakPassword saying why ``password`` is refused, or return."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise WeakPassword(f"The password must be at least {MIN_LENGTH} characters long.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"The password must be at most {MAX_LENGTH} characters long.")
    lowered = password.lower()
    if lowered in COMMON or _TAIL.sub("", lowered) in COMMON:
        raise WeakPassword("The password is one of the most common passwords: choose another.")
    if username and len(username) >= 3 and username.lower() in lowered:
        raise WeakPassword("The password must not contain the username.")
