"""Console routes: sign-in with the district's identity provider (public: login, callback), the
session read back and sign-out (with the session's cookie), and the provider's settings
(`admin` scope)."""

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, Parameter, QueryParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_204_NO_CONTENT, HTTP_303_SEE_OTHER

from api.console.services import LOGIN_TIME, ConsoleService
from api.errors import problems
from api.identity.auth import CONSOLE_COOKIE, CONSOLE_LIFETIME, CONSOLE_SESSION, Scope, principal_of, requires
from api.runtime import Runtime
from schemas.console import ConsoleProviderSettings, ConsoleProviderView, ConsoleSessionView

LOGIN_COOKIE = "__Host-fo_console_login"
"""Binds a sign-in to the browser that started it (its state), until the callback."""
PUBLIC: dict[str, Any] = {"exclude_from_auth": True}
Slug = Annotated[str, Parameter(description="The district's slug.", max_length=64)]


def provide_console(runtime: NamedDependency[Runtime]) -> ConsoleService:
    return ConsoleService(runtime.sessions, runtime.http, runtime.box(), runtime.settings)


def _cookie(key: str, value: str, max_age: int) -> Cookie:
    # Lax: the provider's redirect back is a top-level GET, which carries Lax cookies.
    return Cookie(key=key, value=value, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax")


def session_cookie(session_id: str) -> Cookie:
    """The console session's cookie, as sign-in sets it (an LTI launch into the console too)."""
    return _cookie(CONSOLE_COOKIE, session_id, int(CONSOLE_LIFETIME.total_seconds()))


class ConsoleSettingsController(Controller):
    path = "/api/v1/console"
    tags = ["console"]
    opt = requires(Scope.ADMIN)
    dependencies = {"console": Provide(provide_console, sync_to_thread=False)}

    @get(
        "/provider",
        operation_id="getConsoleProvider",
        summary="The district's OpenID Connect provider for console sign-in (never its secret)",
        responses=problems(401, 403, 404),
    )
    async def get_provider(
        self, request: Request[Any, Any, Any], console: NamedDependency[ConsoleService]
    ) -> ConsoleProviderView:
        return await console.provider(principal_of(request).district_id)

    @put(
        "/provider",
        operation_id="setConsoleProvider",
        summary="Set the district's OpenID Connect provider, allowed domains and role rules",
        responses=problems(400, 401, 403, 413, 415, 422),
    )
    async def set_provider(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ConsoleProviderSettings],
        console: NamedDependency[ConsoleService],
    ) -> ConsoleProviderView:
        return await console.set_provider(principal_of(request), data)


class ConsoleController(Controller):
    path = "/console"
    tags = ["console"]
    dependencies = {"console": Provide(provide_console, sync_to_thread=False)}

    @get(
        "/{district:str}/login",
        operation_id="consoleLogin",
        summary="Start signing in to a district's console: 302 to its identity provider",
        status_code=302,
        opt=PUBLIC,
        responses=problems(400, 404),
    )
    async def login(self, district: Slug, console: NamedDependency[ConsoleService]) -> Response[Any]:
        started = await console.start(district)
        cookie = _cookie(LOGIN_COOKIE, started.state, int(LOGIN_TIME.total_seconds()))
        return Redirect(started.url, status_code=302, cookies=[cookie])

    @get(
        "/callback",
        operation_id="consoleCallback",
        summary="The identity provider's redirect back: checks the sign-in, sets the session cookie",
        status_code=HTTP_303_SEE_OTHER,
        opt=PUBLIC,
        responses=problems(400, 401, 403, 404),
    )
    async def callback(
        self,
        request: Request[Any, Any, Any],
        console: NamedDependency[ConsoleService],
        sign_in: Annotated[
            str, QueryParameter(name="state", description="The sign-in's state.", max_length=200)
        ] = "",
        code: Annotated[str, QueryParameter(description="The authorization code.", max_length=2000)] = "",
    ) -> Response[Any]:
        signed_in = await console.finish(sign_in, code, request.cookies.get(LOGIN_COOKIE, ""))
        session = session_cookie(signed_in.session_id)
        spent = _cookie(LOGIN_COOKIE, "", 0)
        return Redirect(
            f"/console/{signed_in.district}/", status_code=HTTP_303_SEE_OTHER, cookies=[session, spent]
        )

    @get(
        "/{district:str}/session",
        operation_id="getConsoleSession",
        summary="Who is signed in to the console, their role and scopes, and the session's CSRF token",
        opt={CONSOLE_SESSION: True},
        responses=problems(401, 403),
    )
    async def session(
        self, request: Request[Any, Any, Any], district: Slug, console: NamedDependency[ConsoleService]
    ) -> ConsoleSessionView:
        return await console.session(principal_of(request), district, request.cookies.get(CONSOLE_COOKIE, ""))

    @post(
        "/{district:str}/logout",
        operation_id="consoleLogout",
        summary="Sign out of the console (send the session's X-CSRF-Token)",
        status_code=HTTP_204_NO_CONTENT,
        opt={CONSOLE_SESSION: True},
        responses=problems(401, 403),
    )
    async def logout(
        self, request: Request[Any, Any, Any], district: Slug, console: NamedDependency[ConsoleService]
    ) -> Response[None]:
        await console.sign_out(principal_of(request), district, request.cookies.get(CONSOLE_COOKIE, ""))
        return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=[_cookie(CONSOLE_COOKIE, "", 0)])
