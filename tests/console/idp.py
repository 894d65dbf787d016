"""A real OpenID Connect provider for the console's tests, built on Authlib's server side
(`AuthorizationServer`, the authorization code grant with PKCE and the OpenID Connect code
extension, which signs the id_token) and served on 127.0.0.1 by a small threaded HTTP server
of our own: discovery, the authorization endpoint, the token endpoint and the key set.

Nobody types a password: the authorization endpoint signs in whoever the test put in `person`
(their claims), as a provider would after its own login page. `audience` makes the provider
misbehave and issue id_tokens for another client."""

import functools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import AuthorizationCodeMixin as OidcCodeMixin
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey


@functools.cache
def signing_key() -> RSAKey:
    """The provider's key: made once, as RSA key generation takes a while."""
    return RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})


class Request(OAuth2Request):  # type: ignore[misc]
    """An OAuth 2 request as Authlib's grants read it: the query (`args`) and the form body."""

    def __init__(self, method: str, uri: str, query: str, body: str, headers: Any) -> None:
        super().__init__(method, uri, headers=headers)
        self._args, self._form = dict(parse_qsl(query)), dict(parse_qsl(body))
        self.payload = BasicOAuth2Payload({**self._args, **self._form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, client_id: str, secret: str, redirect_uri: str) -> None:
        self.client_id, self.secret, self.redirect_uri = client_id, secret, redirect_uri

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return client_secret == self.secret

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


class Code(OidcCodeMixin):  # type: ignore[misc]
    def __init__(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        self.code = code
        self.client_id = request.client.get_client_id()
        self.redirect_uri = request.payload.redirect_uri
        self.scope = request.payload.scope
        self.user = request.user
        self.nonce = data.get("nonce")
        self.code_challenge = data.get("code_challenge")
        self.code_challenge_method = data.get("code_challenge_method")
        self.auth_time = int(time.time())

    def get_redirect_uri(self) -> str:
        return str(self.redirect_uri)

    def get_scope(self) -> str:
        return str(self.scope)

    def get_nonce(self) -> str | None:
        return self.nonce  # type: ignore[no-any-return]

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class Provider:
    """One provider (issuer) with one registered client."""

    def __init__(self, client_id: str, secret: str, redirect_uri: str) -> None:
        self.client = Client(client_id, secret, redirect_uri)
        self.key = signing_key()
        self.person: dict[str, Any] = {}
        self.audience: str | None = None
        self.codes: dict[str, Code] = {}
        self.issuer = ""
        self._server: ThreadingHTTPServer | None = None
        self.authorization_server = self._authorization_server()

    def _authorization_server(self) -> AuthorizationServer:
        provider = self

        class Grant(AuthorizationCodeGrant):  # type: ignore[misc]
            def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
                provider.codes[code] = Code(code, request)

            def query_authorization_code(self, code: str, client: Client) -> Code | None:
                found = provider.codes.get(code)
                return found if found and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: Code) -> None:
                provider.codes.pop(authorization_code.code, None)  # a code is good once

            def authenticate_user(self, authorization_code: Code) -> dict[str, Any]:
                return authorization_code.user  # type: ignore[no-any-return]

        class OpenID(OpenIDCode):  # type: ignore[misc]
            def resolve_client_private_key(self, client: Client) -> RSAKey:
                return provider.key

            def get_client_algorithm(self, client: Client) -> str:
                return "RS256"

            def get_encode_header(self, client: Client) -> dict[str, str]:
                return {"alg": "RS256", "kid": "k1"}

            def get_client_claims(self, client: Client) -> dict[str, Any]:
                return {"iss": provider.issuer, "aud": [provider.audience or client.client_id]}

            def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
                return any(code.nonce == nonce for code in provider.codes.values())

            def generate_user_info(self, user: dict[str, Any], scope: str) -> dict[str, Any]:
                return user

        class Server(AuthorizationServer):  # type: ignore[misc]
            def query_client(self, client_id: str) -> Client | None:
                return provider.client if client_id == provider.client.client_id else None

            def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
                pass

            def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
                return request

            def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, Any]:
                return status, body, headers

            def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
                pass

        server = Server()
        server.register_token_generator("default", BearerTokenGenerator(lambda *a, **k: generate_token(42)))
        server.register_grant(Grant, [CodeChallenge(required=True), OpenID(require_nonce=True)])
        return server

    def _request(
        self, method: str, path: str, query: str, body: str, headers: dict[str, str]
    ) -> OAuth2Request:
        return Request(method, f"{self.issuer}{path}?{query}", query, body, headers)

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    def handle(
        self, method: str, target: str, body: str, headers: dict[str, str]
    ) -> tuple[int, str, list[tuple[str, str]]]:
        url = urlsplit(target)
        json_headers = [("Content-Type", "application/json")]
        if url.path == "/.well-known/openid-configuration":
            return 200, json.dumps(self.metadata()), json_headers
        if url.path == "/jwks":
            return 200, json.dumps({"keys": [self.key.as_dict(private=False)]}), json_headers
        request = Request(method, f"{self.issuer}{url.path}?{url.query}", url.query, body, headers)
        if url.path == "/authorize":
            person = dict(self.person)
            try:
                grant = self.authorization_server.get_consent_grant(request=request, end_user=person)
            except OAuth2Error as error:
                return error.status_code, json.dumps(dict(error.get_body())), json_headers
            status, payload, out = self.authorization_server.create_authorization_response(
                request, grant_user=person, grant=grant
            )
        elif url.path == "/token":
            status, payload, out = self.authorization_server.create_token_response(request)
        else:
            return 404, "{}", json_headers
        text = payload if isinstance(payload, str) else json.dumps(payload)
        return status, text, list(out)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                status, text, headers = provider.handle(method, self.path, body, self.headers)
                data = text.encode()
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    @contextmanager
    def running(self) -> Iterator["Provider"]:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self._server.daemon_threads = True
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join()
