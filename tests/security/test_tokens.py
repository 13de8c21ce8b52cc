"""Door 1, tokens: every forged, stale or foreign token is UNAUTHENTICATED and writes nothing."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from starlette.datastructures import Secret
from websockets.exceptions import ConnectionClosed

from core.auth import issue_token
from core.settings import Settings
from db import users
from db.connection import Db
from tests.client import SAMPLE_INPUT, TRANSPORT_WS, Api
from tests.conftest import TEST_SECRET, StartApi
from tests.security.keys import rsa_pair
from tests.security.probes import (
    CREATE,
    REGISTER,
    assert_serves_an_honest_client,
    code,
    post,
    rows,
    user_id,
)

Forge = Callable[[str, str, Settings], str]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, str], payload: dict[str, object], signature: bytes = b"") -> str:
    parts = [_b64(json.dumps(part).encode()) for part in (header, payload)]
    return ".".join([*parts, _b64(signature)])


def _claims(subject: str, **extra: object) -> dict[str, object]:
    return {"sub": subject, "iat": int(time.time()), "exp": int(time.time()) + 600, **extra}


def _alg_none(subject: str, valid: str, settings: Settings) -> str:
    return _unsigned({"alg": "none", "typ": "JWT"}, _claims(subject))


def _tampered(subject: str, valid: str, settings: Settings) -> str:
    # A real signature, over a payload that now names someone else.
    header, _, signature = valid.split(".")
    forged = _b64(json.dumps(_claims("00000000-0000-4000-8000-000000000000")).encode())
    return f"{header}.{forged}.{signature}"


def _expired(subject: str, valid: str, settings: Settings) -> str:
    issued = datetime.now(UTC) - timedelta(seconds=settings.jwt_ttl_seconds + 60)
    return issue_token(subject, settings, now=issued)


def _other_key(subject: str, valid: str, settings: Settings) -> str:
    return jwt.encode(_claims(subject), "another-service-secret-" + "y" * 40, algorithm="HS256")


def _no_expiry(subject: str, valid: str, settings: Settings) -> str:
    return jwt.encode({"sub": subject}, TEST_SECRET, algorithm="HS256")


def _no_subject(subject: str, valid: str, settings: Settings) -> str:
    return jwt.encode({"exp": int(time.time()) + 600}, TEST_SECRET, algorithm="HS256")


def _hmac_signed(header: dict[str, str], claims: dict[str, object], key: bytes) -> str:
    signing_input = _unsigned(header, claims).rsplit(".", 1)[0]
    digest = hashlib.new(header["alg"].replace("HS", "sha"))
    signature = hmac.new(key, signing_input.encode(), digest.name).digest()
    return f"{signing_input}.{_b64(signature)}"


def _other_algorithm(subject: str, valid: str, settings: Settings) -> str:
    # The right secret, but an algorithm the service did not pin.
    return _hmac_signed({"alg": "HS512", "typ": "JWT"}, _claims(subject), TEST_SECRET.encode())


def _expiry_past_any_clock(subject: str, valid: str, settings: Settings) -> str:
    # Signed with the right key, by a signer (an identity provider) that got exp wrong.
    return jwt.encode(_claims(subject, exp=10**20), TEST_SECRET, algorithm="HS256")


def _expiry_as_text(subject: str, valid: str, settings: Settings) -> str:
    exp = str(int(time.time()) + 600)
    return jwt.encode(_claims(subject, exp=exp), TEST_SECRET, algorithm="HS256")


def _subject_postgres_cannot_hold(text: str) -> Forge:
    # Signed with the right key (an identity provider's odd subject): still no user.
    def forge(subject: str, valid: str, settings: Settings) -> str:
        return jwt.encode(_claims(subject + text), TEST_SECRET, algorithm="HS256")

    return forge


def _garbage(subject: str, valid: str, settings: Settings) -> str:
    return "not.a.jwt" + "A" * 2000


FORGERIES: dict[str, Forge] = {
    "alg-none": _alg_none,
    "tampered-payload": _tampered,
    "expired": _expired,
    "signed-with-another-key": _other_key,
    "no-exp": _no_expiry,
    "no-sub": _no_subject,
    "another-algorithm": _other_algorithm,
    "exp-past-any-clock": _expiry_past_any_clock,
    "exp-as-text": _expiry_as_text,
    "garbage": _garbage,
    "sub-with-nul": _subject_postgres_cannot_hold("\x00"),
    "sub-with-lone-surrogate": _subject_postgres_cannot_hold("\ud800"),
}


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_a_bad_token_is_unauthenticated_writes_nothing_and_opens_no_socket(
    start_api: StartApi, settings: Settings, db: Db, forgery: str
) -> None:
    api = await start_api()
    victim = await api.register()
    token = FORGERIES[forgery](await user_id(api, victim), victim, settings)

    job = await api.create_job(victim)
    for query, variables in (("{ me { id email } }", {}), (CREATE, {"i": SAMPLE_INPUT})):
        result = await post(api, query, variables, token=token)
        assert code(result) == "UNAUTHENTICATED" and result.get("data") is None
    # job(id) reads the user with the job, not through IsAuthenticated: the same refusal
    # (a nullable field, so its error leaves it null).
    for job_id in (job["id"], "not-a-job-id"):
        result = await post(
            api, "query($id: ID!) { job(id: $id) { id } }", {"id": job_id}, token=token
        )
        assert code(result) == "UNAUTHENTICATED" and result["data"] == {"job": None}
    assert await rows(db, "jobs") == 1, "only the victim's own job"
    async with api.socket(token, TRANSPORT_WS) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await socket.receive(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    await assert_serves_an_honest_client(api)


async def test_the_token_of_a_deleted_user_is_unauthenticated(api: Api, db: Db) -> None:
    token = await api.register(password="correct horse 1")
    await api.data('mutation { deleteAccount(password: "correct horse 1") }', token=token)

    result = await post(api, CREATE, {"i": SAMPLE_INPUT}, token=token)

    assert code(result) == "UNAUTHENTICATED"
    assert await rows(db, "jobs") == 0 and await rows(db, "users") == 0
    await assert_serves_an_honest_client(api)


async def test_issuer_and_audience_are_checked_when_configured(
    start_api: StartApi, settings: Settings
) -> None:
    api = await start_api(jwt_issuer="https://careerops.example", jwt_audience="careerops-api")
    token = await api.register()
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == "careerops-api"
    subject = await user_id(api, token)

    for claims in (
        _claims(subject),  # neither
        _claims(subject, iss="https://evil.example", aud="careerops-api"),
        _claims(subject, iss="https://careerops.example", aud="another-api"),
    ):
        forged = jwt.encode(claims, TEST_SECRET, algorithm="HS256")
        assert code(await post(api, "{ me { id } }", token=forged)) == "UNAUTHENTICATED"
    assert (await api.data("{ me { id } }", token=token))["me"]["id"] == subject


async def test_rs256_accepts_the_identity_providers_tokens_only(
    start_api: StartApi, settings: Settings, db: Db
) -> None:
    provider_key, provider_public = rsa_pair()
    stranger_key, _ = rsa_pair()
    api = await start_api(
        jwt_algorithm="RS256",
        jwt_public_key=provider_public,
        jwt_secret=None,
        jwt_audience="careerops-api",
    )
    user = await users.insert_user(db, email="idp-user@example.com", password_hash="x")
    assert user is not None
    claims = _claims(user.id, aud="careerops-api")

    good = jwt.encode(claims, provider_key, algorithm="RS256")
    assert (await api.data("{ me { email } }", token=good))["me"]["email"] == user.email

    # The classic confusion: HS256 "signed" with the public key as the HMAC secret.
    confused = _hmac_signed({"alg": "HS256", "typ": "JWT"}, claims, provider_public.encode())
    for token in (
        jwt.encode(claims, stranger_key, algorithm="RS256"),
        confused,
        _unsigned({"alg": "none"}, claims),
        jwt.encode(_claims(user.id), provider_key, algorithm="RS256"),  # no audience
    ):
        assert code(await post(api, "{ me { id } }", token=token)) == "UNAUTHENTICATED"

    # Without the provider's private key this service issues no tokens, and writes no user.
    refused = await post(api, REGISTER, {"e": "new@example.com", "p": "correct horse 1"})
    assert code(refused) == "FORBIDDEN"
    assert await rows(db, "users") == 1


async def test_rs256_with_its_private_key_issues_tokens_it_verifies(
    start_api: StartApi,
) -> None:
    private, public = rsa_pair()
    api = await start_api(
        jwt_algorithm="RS256", jwt_public_key=public, jwt_private_key=Secret(private)
    )
    token = await api.register()
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    await assert_serves_an_honest_client(api)
