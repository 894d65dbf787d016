"""The tool's own RSA keys: generated and kept by the service (private halves sealed), served
at the JWKS URL with a `kid`. Rotation makes a new key sign at once while the old one stays
published for an overlap period, so platforms that cached our key set still verify."""

import json
import secrets
import time
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import delete, select

from plugins.contract import SecretBox, Sessions, utcnow
from plugins.lti.models import LtiToolKey

OVERLAP = timedelta(days=2)
REFRESH = 300.0


class SigningKey:
    """The key that signs now: its kid and private key, parsed once when read (parsing checks
    the RSA key, which costs far more than a signature)."""

    def __init__(self, kid: str, pem: str) -> None:
        self.kid = kid
        private = serialization.load_pem_private_key(pem.encode(), password=None)
        assert isinstance(private, rsa.RSAPrivateKey)  # the tool makes only RSA keys (_new_key)
        self.private = private


def _new_key(box: SecretBox) -> LtiToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    kid = secrets.token_hex(8)
    jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return LtiToolKey(kid=kid, private_key=box.seal(pem), public_jwk=jwk, created_at=utcnow())


class ToolKeys:
    """Reads, creates and rotates the tool keys. The signing key is cached per process for
    REFRESH seconds, so a rotation made elsewhere (the CLI) is picked up well within OVERLAP."""

    def __init__(self, sessions: Sessions, box: SecretBox) -> None:
        self.sessions = sessions
        self.box = box
        self._signing: SigningKey | None = None
        self._read_at = 0.0

    async def signing(self) -> SigningKey:
        if self._signing is None or time.monotonic() - self._read_at > REFRESH:
            async with self.sessions.begin() as session:
                row = (
                    await session.execute(
                        select(LtiToolKey)
                        .where(LtiToolKey.retire_at.is_(None))
                        .order_by(LtiToolKey.created_at.desc())
                        .limit(1)
                    )
                ).scalar_one_or_none()
                if row is None:
                    row = _new_key(self.box)
                    session.add(row)
                self._signing = SigningKey(row.kid, self.box.open(row.private_key))
                self._read_at = time.monotonic()
        return self._signing

    async def jwks(self) -> dict[str, list[dict[str, object]]]:
        await self.signing()  # a key set is never empty
        now = utcnow()
        async with self.sessions() as session:
            rows = (await session.execute(select(LtiToolKey).order_by(LtiToolKey.created_at))).scalars()
            return {"keys": [r.public_jwk for r in rows if r.retire_at is None or r.retire_at > now]}

    async def rotate(self, overlap: timedelta = OVERLAP) -> str:
        """A new signing key; the others stay published for `overlap`, then are deleted."""
        now = utcnow()
        async with self.sessions.begin() as session:
            await session.execute(delete(LtiToolKey).where(LtiToolKey.retire_at < now))
            for row in (await session.execute(select(LtiToolKey))).scalars():
                if row.retire_at is None:
                    row.retire_at = now + overlap
            row = _new_key(self.box)
            session.add(row)
            kid = row.kid
        self._signing = None
        return kid
