"""Learner tokens: short-lived HS256 JWTs bound to one district and one learner.

They carry ids and a cohort label, never answers. The signing key is FRONTOFFICE_SECRET_KEY,
or when that is empty a random key the service generates once and keeps in the database, so
every process of a deployment signs and verifies with the same key.
"""

import functools
import secrets
import uuid
from datetime import datetime, timedelta

import jwt
import msgspec
from jwt.algorithms import HMACAlgorithm
from jwt.utils import base64url_encode
from sqlalchemy.exc import IntegrityError

from api.db import Sessions
from api.errors import Unauthorized
from api.models import InstanceSecret, utcnow

ISSUER = "frontoffice"
AUDIENCE = "frontoffice:learner"
SECRET_NAME = "learner-token-key"
HS256 = HMACAlgorithm(HMACAlgorithm.SHA256)
HEADER = base64url_encode(b'{"alg":"HS256","typ":"JWT"}')


@functools.lru_cache(maxsize=8)
def _signing_key(key: str) -> bytes:
    """The key as PyJWT's HS256 signs with it, checked once rather than at every token."""
    return HS256.prepare_key(key)


class LearnerClaims(msgspec.Struct, frozen=True):
    """What a verified learner token says."""

    district_id: uuid.UUID
    learner_id: uuid.UUID
    cohort: str
    expires_at: datetime
    facilitator: bool = False


class TokenKey:
    """The signing key, looked up on first use (so an unmigrated database still starts)."""

    def __init__(self, sessions: Sessions, configured: str) -> None:
        self.sessions = sessions
        self._key = configured or None

    async def get(self) -> str:
        if self._key is None:
            self._key = await _generated_key(self.sessions)
        return self._key


async def _generated_key(sessions: Sessions) -> str:
    """The generated key, created by whichever process needs it first."""
    async with sessions.begin() as session:
        row = await session.get(InstanceSecret, SECRET_NAME)
        if row is not None:
            return row.value
    try:
        async with sessions.begin() as session:
            session.add(InstanceSecret(name=SECRET_NAME, value=secrets.token_urlsafe(48)))
    except IntegrityError:
        pass  # another process made it first; use theirs
    async with sessions.begin() as session:
        row = await session.get(InstanceSecret, SECRET_NAME)
        assert row is not None
        return row.value


def issue(
    key: str,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    cohort: str,
    ttl: timedelta,
    facilitator: bool = False,
) -> tuple[str, datetime]:
    """A signed token; `facilitator` (an instructor's, from an LTI launch say) adds the
    facilitator view and the group's reports to what the learner may read."""
    now = utcnow()
    expires = now + ttl
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(learner_id),
        "dst": str(district_id),
        "coh": cohort,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    if facilitator:
        claims["fac"] = True
    # What jwt.encode(claims, key, "HS256") makes, with the key prepared once (see _signing_key).
    signing_input = HEADER + b"." + base64url_encode(msgspec.json.encode(claims))
    signature = base64url_encode(HS256.sign(signing_input, _signing_key(key)))
    return (signing_input + b"." + signature).decode(), expires.replace(microsecond=0)


def verify(key: str, token: str) -> LearnerClaims:
    """The claims of a valid token; Unauthorized for an expired, forged or malformed one."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            leeway=5,
        )
        return LearnerClaims(
            district_id=uuid.UUID(claims["dst"]),
            learner_id=uuid.UUID(claims["sub"]),
            cohort=str(claims.get("coh", "")),
            expires_at=datetime.fromtimestamp(claims["exp"]).astimezone(),
            facilitator=claims.get("fac") is True,
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized(
            "The learner token has expired; ask the system that gave it for a new one."
        ) from None
    except (jwt.InvalidTokenError, KeyError, ValueError):
        raise Unauthorized("The bearer token is neither an API key nor a valid learner token.") from None
