"""Signatures made by plugins.webhooks.signing, checked with the official `standardwebhooks` library."""

import base64
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from plugins.webhooks.signing import Signer, new_secret

BODY = b'{"type":"completion.recorded","data":{"learner":"l-1","module":"greeting"}}'
# The example secret of the Standard Webhooks spec.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_new_secret_is_24_random_bytes_in_the_spec_format() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 24
    assert new_secret() != secret


def test_official_library_verifies_a_signed_delivery() -> None:
    secret = new_secret()
    now = int(time.time())
    sent = Signer([secret]).headers("msg_2b1cE3x", now, BODY)
    assert set(sent) == {"webhook-id", "webhook-timestamp", "webhook-signature", "content-type"}
    assert sent["webhook-id"] == "msg_2b1cE3x"
    assert sent["webhook-timestamp"] == str(now)
    assert sent["content-type"] == "application/json"
    assert Webhook(secret).verify(BODY, sent) == {
        "type": "completion.recorded",
        "data": {"learner": "l-1", "module": "greeting"},
    }


def test_signature_matches_the_official_library_byte_for_byte() -> None:
    ours = Signer([SPEC_SECRET]).sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    theirs = Webhook(SPEC_SECRET).sign(
        "msg_p5jXN8AQM9LWM0D4loKWxJek", datetime.fromtimestamp(1614265330, UTC), '{"test": 2432232314}'
    )
    assert ours == theirs
    # The spec's worked example.
    assert ours == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_official_library_rejects_a_changed_body_and_another_secret() -> None:
    secret = new_secret()
    sent = Signer([secret]).headers("msg_1", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"l-1", b"l-2"), sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, sent)


def test_during_rotation_either_secret_alone_verifies() -> None:
    old, new = new_secret(), new_secret()
    sent = Signer([old, new]).headers("msg_rotating", int(time.time()), BODY)
    signatures = sent["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(s.startswith("v1,") for s in signatures)
    # In the order given: the old secret's signature first.
    assert signatures[0] == Signer([old]).sign("msg_rotating", int(sent["webhook-timestamp"]), BODY)
    assert Webhook(old).verify(BODY, sent)
    assert Webhook(new).verify(BODY, sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, sent)


def test_unpadded_secret_is_accepted_like_the_official_library_does() -> None:
    key = base64.b64encode(b"k" * 25).decode().rstrip("=")
    secret = f"whsec_{key}"
    sent = Signer([secret]).headers("msg_1", int(time.time()), BODY)
    assert Webhook(secret).verify(BODY, sent)


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with 'whsec_'"),
        ("whsec_not base64!!", "must be base64 after 'whsec_'"),
        ("whsec_" + base64.b64encode(b"short").decode(), "24 to 64 bytes of key, not 5"),
        ("whsec_" + base64.b64encode(b"x" * 65).decode(), "24 to 64 bytes of key, not 65"),
    ],
)
def test_bad_secrets_are_refused_with_a_reason(secret: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Signer([secret]).sign("msg_1", 1, BODY)


def test_one_bad_secret_among_good_ones_is_refused() -> None:
    with pytest.raises(ValueError, match="whsec_"):
        Signer([new_secret(), "secret"]).headers("msg_1", 1, BODY)


def test_signing_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Signer([]).sign("msg_1", 1, BODY)
