"""OIDC login states and nonces, signed by the service instead of stored.

A login writes nothing. Its state is `<registration>.<issued at>.<random>.<storage>` with an
HMAC under a key derived from the service's secret key, and its nonce is a second HMAC, over
that state: only this service can make either, the nonce belongs to this one state, and the
state to one registration and ten minutes. A launch checks all of that (`Signer.verify`, then
pylti1p3 compares the token's nonce with the one issued for the state) and uses the nonce up
by inserting it into `lti_used_nonces`, whose primary key refuses it a second time. A used
nonce is kept until its state would be refused as expired anyway, then pruned
(`LtiPlugin.prune`). The state cookie still binds the login to the browser; where the LMS frame
blocks it, the postMessage storage secret is a third HMAC over a state issued for that flow.
"""

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime

import msgspec

from plugins.contract import Unauthorized

TTL = 600
"""Seconds a login's state is good for."""
SKEW = 30
"""Seconds a state's issue time may lie ahead of this clock (several processes, several clocks)."""
KEEP = TTL + 300
"""Seconds a used nonce is kept after its login: past the state's expiry, with a margin for clocks."""
PREFIX = "state-"
"""pylti1p3 puts this before the value it is given as the state."""
WITH_STORAGE = "s"


class Login(msgspec.Struct, frozen=True, kw_only=True):
    """A login this service issued: what its state says, and the nonce that goes with it."""

    state: str
    nonce: str
    registration_id: uuid.UUID
    issued_at: int
    storage: bool

    @property
    def nonce_expires_at(self) -> datetime:
        """Until when the used nonce must be remembered."""
        return datetime.fromtimestamp(self.issued_at + KEEP, UTC)


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class Signer:
    """Issues and verifies logins under one secret key (built once per key: see Runtime)."""

    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(f"frontoffice:lti-login:{secret_key}".encode()).digest()

    def _mac(self, purpose: bytes, value: str) -> str:
        return _b64(hmac.digest(self._key, purpose + b":" + value.encode(), "sha256"))

    def _login(self, state: str, registration_id: uuid.UUID, issued_at: int, storage: bool) -> Login:
        return Login(
            state=state,
            nonce=self._mac(b"nonce", state),
            registration_id=registration_id,
            issued_at=issued_at,
            storage=storage,
        )

    def issue(self, registration_id: uuid.UUID, storage: bool, now: float) -> Login:
        """A new login for the registration; `storage` when it goes through postMessage storage."""
        flag = WITH_STORAGE if storage else "-"
        body = f"{registration_id.hex}.{int(now)}.{secrets.token_urlsafe(12)}.{flag}"
        state = f"{PREFIX}{body}.{self._mac(b'state', body)}"
        return self._login(state, registration_id, int(now), storage)

    def verify(self, state: str, registration_id: uuid.UUID, now: float) -> Login:
        """The login of `state` if this service issued it, for this registration, less than TTL
        ago; Unauthorized otherwise."""
        body, _, mac = state.removeprefix(PREFIX).rpartition(".")
        ours = state.startswith(PREFIX) and state.isascii()  # what we issue is both
        if not ours or not hmac.compare_digest(mac.encode(), self._mac(b"state", body).encode()):
            raise Unauthorized(
                "The launch's state is not one this service issued (or it was altered); "
                "launch again from the LMS."
            )
        registration, issued, _, storage = body.split(".")  # our own format: the MAC held
        if registration != registration_id.hex:
            raise Unauthorized(
                "The launch's state was issued for another platform registration; launch again from the LMS."
            )
        issued_at = int(issued)
        if issued_at > now + SKEW or now - issued_at > TTL:
            raise Unauthorized("The launch's login has expired; launch again from the LMS.")
        return self._login(state, registration_id, issued_at, storage == WITH_STORAGE)

    def storage_secret(self, login: Login) -> str:
        """The secret kept in the platform's postMessage storage for a login that uses it."""
        return self._mac(b"storage", login.state)

    def storage_secret_matches(self, login: Login, secret: str) -> bool:
        expected = self.storage_secret(login).encode()
        return login.storage and secret.isascii() and hmac.compare_digest(secret.encode(), expected)
