"""Encrypted model fields for customer PII (tax ID, date of birth, bank details).

Values are encrypted with Fernet (AES-128-CBC + HMAC) under
RATEPAYER_FIELD_ENCRYPTION_KEY; in development and tests a key is derived
from SECRET_KEY. The database never holds the clear text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: str, secret: str, debug: bool) -> MultiFernet:
    key_list = [k.strip() for k in keys.split(",") if k.strip()]
    if not key_list:
        if not debug:
            raise ImproperlyConfigured("RATEPAYER_FIELD_ENCRYPTION_KEY must be set to store customer PII.")
        key_list = [base64.urlsafe_b64encode(hashlib.sha256(("pii:" + secret).encode()).digest()).decode()]
    # The first key encrypts; all keys decrypt (key rotation).
    return MultiFernet([Fernet(k.encode()) for k in key_list])


def fernet() -> MultiFernet:
    relaxed = settings.DEBUG or getattr(settings, "TESTING", False)
    return _fernet(settings.FIELD_ENCRYPTION_KEY, settings.SECRET_KEY, relaxed)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key or tampered ciphertext
        raise ValueError("encrypted value cannot be read with the configured key") from exc


def decrypt_many(tokens: list[str]) -> list[str]:
    """Decrypt many values at once (a batch path reading the stored tokens
    itself, e.g. the ACH file): the key set is looked up once."""
    f = fernet()
    try:
        return [f.decrypt(token.encode()).decode() if token else token for token in tokens]
    except InvalidToken as exc:
        raise ValueError("encrypted value cannot be read with the configured key") from exc


class EncryptedTextField(models.TextField):
    """A text field stored encrypted. Not searchable or sortable by design."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(str(value))

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)


def mask(value: str | None, visible: int = 4, fill: str = "•") -> str:
    """'123-45-6789' -> '•••••6789' (keep the last ``visible`` characters)."""
    if not value:
        return ""
    clean = value.replace("-", "").replace(" ", "")
    return fill * max(0, len(clean) - visible) + clean[-visible:]


def tax_id_digits(value: str | None) -> str:
    return "".join(c for c in (value or "") if c.isdigit())


def tax_id_digest(value: str | None) -> str:
    """A keyed hash of a tax ID's digits, so the duplicate-customer check can
    find an equal tax ID with an index while the ID itself stays encrypted
    (Fernet ciphertexts differ for equal values). Empty for no tax ID."""
    digits = tax_id_digits(value)
    if not digits:
        return ""
    key = hashlib.sha256(("tax-id-digest:" + (settings.FIELD_ENCRYPTION_KEY.split(",")[0].strip()
                                               or settings.SECRET_KEY)).encode()).digest()
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()


class TaxIdDigestField(models.CharField):
    """``tax_id_digest`` of the row's ``tax_id``, computed on every save and
    bulk insert (pre_save), never set by hand."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        value = tax_id_digest(getattr(model_instance, "tax_id", ""))
        setattr(model_instance, self.attname, value)
        return value
