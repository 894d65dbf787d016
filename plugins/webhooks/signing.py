"""Standard Webhooks signing: endpoint secrets, the `webhook-signature` header and a delivery's headers.

See https://www.standardwebhooks.com: a secret is `whsec_` + base64 of the key, and each signature is
`v1,` + base64 of HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`.
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from secrets import token_bytes

SECRET_PREFIX = "whsec_"
# The spec recommends keys of 24 to 64 bytes; new secrets use the lower bound, as Svix does.
SECRET_BYTES = 24
MIN_KEY_BYTES = 24
MAX_KEY_BYTES = 64


def new_secret() -> str:
    """A fresh endpoint secret: `whsec_` and the base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(token_bytes(SECRET_BYTES)).decode("ascii")


def _key(secret: str) -> bytes:
    """The HMAC key a secret carries, or ValueError saying what is wrong with the secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret must start with {SECRET_PREFIX!r}")
    encoded = secret.removeprefix(SECRET_PREFIX)
    # Receivers' libraries accept unpadded base64, so a secret written without padding is accepted too.
    encoded += "=" * (-len(encoded) % 4)
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise ValueError(f"a webhook secret must be base64 after {SECRET_PREFIX!r}") from None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ValueError(
            f"a webhook secret must carry {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes of key, not {len(key)}"
        )
    return key


class Signer:
    """Signs with a fixed list of secrets, their keys decoded once (a sender signs many deliveries
    with the same secrets). Raises ValueError for an empty list or a malformed secret."""

    def __init__(self, secrets: Sequence[str]) -> None:
        if not secrets:
            raise ValueError("at least one webhook secret is needed to sign")
        self._keys = [_key(secret) for secret in secrets]

    def sign(self, msg_id: str, timestamp: int, body: bytes) -> str:
        """The `webhook-signature` value: one `v1,<signature>` per secret, space-separated, in order.

        While a secret is being rotated both the old and the new one sign, so a receiver holding
        either verifies the delivery.
        """
        content = f"{msg_id}.{timestamp}.".encode() + body
        return " ".join(
            "v1," + base64.b64encode(hmac.digest(key, content, hashlib.sha256)).decode("ascii")
            for key in self._keys
        )

    def headers(self, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
        """The headers of a delivery of `body`: the three Standard Webhooks headers and the content type."""
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": self.sign(msg_id, timestamp, body),
            "content-type": "application/json",
        }
