"""Encrypting secrets the service must keep but never show again (webhook signing secrets).

Fernet (AES-128-CBC with HMAC-SHA256) under a key derived from FRONTOFFICE_SECRET_KEY, or
from the generated instance key when that is unset. Set FRONTOFFICE_SECRET_KEY in production
and keep it out of the database, so that a copy of the database alone reveals no secret.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class SecretBox:
    """Encrypts and decrypts short secrets under one derived key."""

    def __init__(self, key_material: str, purpose: str) -> None:
        digest = hashlib.sha256(f"frontoffice:{purpose}:{key_material}".encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise ValueError(
                "a stored secret cannot be decrypted: was FRONTOFFICE_SECRET_KEY changed?"
            ) from None
