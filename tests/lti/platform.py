"""A real LMS for the tests: the PyPI package `lti1p3platform` (login initiation, launch
messages, deep-linking requests, access tokens, deep-linking response verification), served on
127.0.0.1 by a small threaded HTTP server of our own for what the tool fetches: the platform's
key set, the token endpoint and an AGS endpoint.

lti1p3platform has no HTTP server and no AGS line-item/score endpoints: those few handlers are
written here (line items kept in memory; each score's bearer token is checked with the
library's own `validate_token`)."""

import html
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration

SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def new_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


class SigningRegistration(Registration):
    """lti1p3platform's registration, with the private key loaded once.

    The library parses the PEM three times a launch (the kid twice, the signature once), and
    parsing checks the RSA key: about a tenth of a second each on this machine, most of an LTI
    test's time. The key is ours, so its check can be skipped, and the kid is fixed."""

    def set_platform_private_key(self, private_key: str) -> "SigningRegistration":
        super().set_platform_private_key(private_key)
        self.private_key = serialization.load_pem_private_key(
            private_key.encode(), password=None, unsafe_skip_rsa_key_validation=True
        )
        self._kid = Registration.get_jwk(private_key).get("kid")
        return self

    def get_kid(self) -> str | None:
        return self._kid

    def platform_encode_and_sign(self, payload: dict[str, Any], expiration: int | None = None) -> str:
        return Registration.encode_and_sign(
            payload,
            self.private_key,
            {"kid": self._kid},
            expiration=expiration,  # type: ignore[arg-type]
        )


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        assert self._registration is not None
        return self._registration


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class Launch(LTIAdvantageMessageLaunchAbstract):
    """A launch answering the tool's authentication request (the query of its redirect)."""

    def __init__(self, auth_request: dict[str, str], conf: PlatformConf) -> None:
        super().__init__(None, conf)  # type: ignore[arg-type]
        self.auth_request = auth_request

    def get_preflight_response(self) -> dict[str, Any]:
        return self.auth_request

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return launch_data


class Platform:
    """One platform registration (issuer, client id, deployment) and its HTTP endpoints."""

    def __init__(self, issuer: str, client_id: str, deployment_id: str, tool_base: str) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.private_pem = new_private_pem()
        self.registration = SigningRegistration()
        (
            self.registration.set_iss(issuer)
            .set_client_id(client_id)
            .set_deployment_id(deployment_id)
            .set_oidc_login_url(f"{tool_base}/lti/login")
            .set_launch_url(f"{tool_base}/lti/launch")
            .set_deeplink_launch_url(f"{tool_base}/lti/launch")
            .set_platform_public_key(public_pem(self.private_pem))
        )
        self.registration.set_platform_private_key(self.private_pem)
        self.conf = PlatformConf(registration=self.registration)
        self.extra_jwks: list[dict[str, Any]] = []
        self.lineitems: dict[str, dict[str, Any]] = {}
        self.scores: list[tuple[str, dict[str, Any]]] = []
        self.token_requests = 0
        self.registration_requests: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        # Launches a browser will make, by user id: what `launch` is called with (see `start_url`).
        self.browser_launches: dict[str, dict[str, Any]] = {}
        self.deep_linked: list[list[dict[str, Any]]] = []  # content items the browser brought back

    @property
    def kid(self) -> str:
        kid = self.registration.get_kid()
        assert kid
        return kid

    @property
    def signing_key(self) -> Any:
        """The platform's private key, loaded: what signs its messages."""
        return self.registration.private_key

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def registration_body(self, deployment_ids: list[str] | None = None) -> dict[str, Any]:
        """What a district administrator registers for this platform."""
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_ids": deployment_ids or [self.deployment_id],
            "auth_login_url": f"{self.url}/auth",
            "auth_token_url": f"{self.url}/token",
            "key_set_url": f"{self.url}/jwks",
        }

    def use_tool_keys(self, jwks: dict[str, Any]) -> None:
        self.registration.set_tool_key_set(jwks)  # type: ignore[arg-type]

    # --- the browser side of a launch -------------------------------------------------------

    def login_url(self, user_id: str, hint: str = "resource-1") -> str:
        login = Login(None, self.conf)
        login.set_lti_message_hint(hint=hint)
        url = login.initiate_login(user_id)
        assert isinstance(url, str)
        return url

    def launch(
        self,
        auth_request: dict[str, str],
        *,
        sub: str,
        roles: list[str],
        custom: dict[str, str] | None = None,
        name: str = "",
        email: str = "",
        ags_lineitem: str | None = None,
        ags: bool = True,
        deep_link: bool = False,
        locale: str | None = None,
        resource_link: str | None = None,
    ) -> dict[str, Any]:
        """The form the platform posts to the tool: id_token, state and the launch URL."""
        launch = Launch(auth_request, self.conf)
        launch.set_user_data(sub, roles, full_name=name or None, email_address=email or None)
        launch.set_resource_link_claim(resource_link or "link-" + (custom or {}).get("module", "none"))
        launch.set_launch_context_claim("course-1", context_title="Front desk staff 2026")
        if custom:
            launch.set_custom_parameters_claim(custom)
        if locale:
            launch.set_extra_claims(
                {"https://purl.imsglobal.org/spec/lti/claim/launch_presentation": {"locale": locale}}
            )
        if ags:
            launch.set_ags(
                lineitems_url=f"{self.url}/lineitems",
                lineitem_url=ags_lineitem,
                allow_creating_lineitems=True,
            )
        if deep_link:
            launch.set_dl(deep_link_return_url=f"{self.url}/deep-link-return", extra_data={"opaque": "x1"})
        result = launch.lti_launch()
        assert isinstance(result, dict)
        return result

    def start_url(self, sub: str, **launch: Any) -> str:
        """Where a browser starts a launch, as a person clicking the link in the LMS would:
        `/start` redirects to the tool's login, the tool redirects to `/auth`, and `/auth`
        answers with the self-submitting form that posts the signed launch to the tool."""
        with self._lock:
            self.browser_launches[sub] = launch
        return f"{self.url}/start?user={sub}"

    def _auth_page(self, query: dict[str, str]) -> str:
        with self._lock:
            launch = self.browser_launches[query["login_hint"]]
        form = self.launch(query, sub=query["login_hint"], **launch)
        fields = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(form[name])}">'
            for name in ("id_token", "state")
        )
        action = html.escape(form["launch_url"])
        return (
            f'<!doctype html><title>LMS</title><form method="post" action="{action}">{fields}</form>'
            "<script>document.forms[0].submit()</script>"
        )

    def verify_deep_link(self, jwt_token: str) -> list[dict[str, Any]]:
        """The content items of a tool's deep-linking response, verified by the platform."""
        return self.conf.validate_deeplinking_resp({"JWT": jwt_token})

    # --- the HTTP endpoints the tool calls ------------------------------------------------

    def openid_configuration(self) -> dict[str, Any]:
        """For LTI Dynamic Registration (lti1p3platform has none: written here)."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.url}/auth",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "registration_endpoint": f"{self.url}/register",
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {"product_family_code": "test"},
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [*self.conf.get_jwks()["keys"], *self.extra_jwks]}

    def handler(self) -> type[BaseHTTPRequestHandler]:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("content-length", "0")))

            def _authorized(self, scope: str) -> bool:
                token = self.headers.get("authorization", "").removeprefix("Bearer ")
                try:
                    return platform.conf.validate_token(token, allowed_scopes=[scope])
                except Exception:
                    return False

            def _redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("location", location)
                self.send_header("content-length", "0")
                self.end_headers()

            def _page(self, page: str) -> None:
                data = page.encode()
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                query = dict(parse_qsl(urlsplit(self.path).query))
                if path == "/start":
                    self._redirect(platform.login_url(query["user"]))
                elif path == "/auth":
                    self._page(platform._auth_page(query))
                elif path == "/jwks":
                    self._answer(200, platform.jwks())
                elif path == "/.well-known/openid-configuration":
                    self._answer(200, platform.openid_configuration())
                elif path == "/lineitems":
                    query = dict(parse_qsl(urlsplit(self.path).query))
                    with platform._lock:
                        items = [
                            i
                            for i in platform.lineitems.values()
                            if "resource_id" not in query or i.get("resourceId") == query["resource_id"]
                        ]
                    self._answer(200, items)
                else:
                    self._answer(404, {"error": "not found"})

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                body = self._body()
                if path == "/deep-link-return":
                    # The browser posts the tool's deep-linking response here, as to a real LMS.
                    items = platform.verify_deep_link(dict(parse_qsl(body.decode()))["JWT"])
                    with platform._lock:
                        platform.deep_linked.append(items)
                    titles = "".join(f"<li>{html.escape(str(i.get('title', '')))}</li>" for i in items)
                    self._page(
                        f"<!doctype html><title>LMS</title><h1>Added to the course</h1><ul>{titles}</ul>"
                    )
                elif path == "/register":
                    with platform._lock:
                        platform.registration_requests.append(
                            (self.headers.get("authorization", ""), json.loads(body))
                        )
                    self._answer(
                        200,
                        {
                            "client_id": platform.client_id,
                            "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                                "deployment_id": platform.deployment_id
                            },
                        },
                    )
                elif path == "/token":
                    form = dict(parse_qsl(body.decode()))
                    try:
                        answer = platform.conf.get_access_token(form)
                    except Exception as exc:
                        self._answer(400, {"error": "invalid_client", "detail": str(exc)})
                        return
                    with platform._lock:
                        platform.token_requests += 1
                    self._answer(200, answer)
                elif path == "/lineitems":
                    if not self._authorized("https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"):
                        self._answer(401, {"error": "unauthorized"})
                        return
                    item = json.loads(body)
                    with platform._lock:
                        item["id"] = f"{platform.url}/lineitems/{len(platform.lineitems) + 1}"
                        platform.lineitems[item["id"]] = item
                    self._answer(201, item)
                elif path.startswith("/lineitems/") and path.endswith("/scores"):
                    if not self._authorized(SCORE):
                        self._answer(401, {"error": "unauthorized"})
                        return
                    if self.headers.get("content-type") != "application/vnd.ims.lis.v1.score+json":
                        self._answer(415, {"error": "score media type expected"})
                        return
                    with platform._lock:
                        platform.scores.append(
                            (platform.url + path.removesuffix("/scores"), json.loads(body))
                        )
                    self._answer(200, {})
                else:
                    self._answer(404, {"error": "not found"})

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    @contextmanager
    def running(self) -> Iterator["Platform"]:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self._server.daemon_threads = True
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join()
