"""LTI routes: the public launch endpoints (login, launch, JWKS), registrations behind the
`admin` scope, and the deep-linking answer for an instructor's learner token."""

import uuid
from typing import Annotated, Any
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT, HTTP_303_SEE_OTHER

from plugins.contract import (
    FrontOfficeError,
    InvalidInput,
    Scope,
    Sessions,
    console_session_cookie,
    principal_of,
    problems,
    requires,
)
from plugins.lti import dynamic
from plugins.lti.adapter import COOKIE_PREFIX
from plugins.lti.cartridge import Link, cartridge
from plugins.lti.keys import ToolKeys
from plugins.lti.registrations import Registrations
from plugins.lti.service import Runtime
from schemas.lti import (
    DeepLinkChoice,
    DeepLinkResponse,
    RegistrationUrl,
    RegistrationUrlView,
    RegistrationView,
    RegistrationWrite,
    ToolUrls,
)

FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
CARTRIDGE = "application/zip"


class LtiCookie(Cookie):
    """A cookie of the launch flow (/lti, Secure, SameSite=None: the LMS frames or posts to us),
    its header written here: Litestar makes each through `SimpleCookie` and `dataclasses.asdict`,
    a tenth of a login's time. Names and values are URL-safe tokens, so nothing needs quoting."""

    def to_encoded_header(self) -> tuple[bytes, bytes]:
        http_only = "; HttpOnly" if self.httponly else ""
        header = f"{self.key}={self.value or ''}{http_only}; Max-Age={self.max_age}; Path=/lti"
        return b"set-cookie", f"{header}; SameSite=None; Secure".encode("latin-1")


PUBLIC: dict[str, Any] = {"exclude_from_auth": True, "accepts": FORMS}


async def _params(request: Request[Any, Any, Any]) -> dict[str, str]:
    params = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


class LaunchController(Controller):
    path = "/lti"
    tags = ["lti"]
    opt = PUBLIC

    async def _login(self, request: Request[Any, Any, Any], lti: Runtime) -> Response[Any]:
        params = await _params(request)
        in_iframe = request.headers.get("sec-fetch-dest") == "iframe"
        secure = request.scope["scheme"] == "https"
        answer = await lti.login(params, secure, in_iframe)
        cookies = [
            LtiCookie(
                key=name,
                value=value,
                max_age=max_age,
                path="/lti",
                secure=True,
                httponly=True,
                samesite="none",
            )
            for name, (value, max_age) in answer.cookies.items()
        ]
        if answer.html:
            return Response(answer.html, status_code=200, media_type=MediaType.HTML, cookies=cookies)
        return Redirect(answer.redirect_url, status_code=302, cookies=cookies)

    @get(
        "/login",
        operation_id="ltiLogin",
        summary="OIDC third-party login initiated by the platform; 302 to its authorization endpoint",
        status_code=302,
        responses=problems(400, 403),
    )
    async def login_get(
        self,
        request: Request[Any, Any, Any],
        lti: NamedDependency[Runtime],
    ) -> Response[Any]:
        return await self._login(request, lti)

    @post(
        "/login",
        operation_id="ltiLoginPost",
        summary="OIDC third-party login initiated by the platform, as a form POST",
        status_code=302,
        responses=problems(400, 403, 415),
    )
    async def login_post(
        self,
        request: Request[Any, Any, Any],
        lti: NamedDependency[Runtime],
    ) -> Response[Any]:
        return await self._login(request, lti)

    @post(
        "/launch",
        operation_id="ltiLaunch",
        summary="The platform's launch (form POST of id_token and state); 303 to the player",
        status_code=HTTP_303_SEE_OTHER,
        responses=problems(400, 401, 403, 415, 422),
    )
    async def launch(
        self,
        request: Request[Any, Any, Any],
        lti: NamedDependency[Runtime],
    ) -> Response[Any]:
        # One dependency: Litestar resolves several in a task group, a task each per launch.
        try:
            params = await _params(request)
            same_origin = request.headers.get("origin") == lti.origin
            in_frame = request.headers.get("sec-fetch-dest") in ("iframe", "frame")
            launched = await lti.launch(params, dict(request.cookies), same_origin, in_frame)
        except FrontOfficeError as exc:
            lti.launches.count("refused", exc.status)
            raise
        except HTTPException as exc:  # Litestar's own refusals (a form it cannot parse)
            lti.launches.count("refused" if exc.status_code < 500 else "error", exc.status_code)
            raise
        except Exception:
            lti.launches.count("error", 500)
            raise
        if launched.html:
            lti.launches.count("storage", 200)
            return Response(launched.html, status_code=200, media_type=MediaType.HTML)
        lti.launches.count("ok", HTTP_303_SEE_OTHER)
        spent = LtiCookie(
            key=COOKIE_PREFIX + launched.state, value="", max_age=0, secure=True, samesite="none"
        )
        cookies: list[Cookie] = [spent]
        if launched.console_session:
            cookies.append(console_session_cookie(launched.console_session))
        return Redirect(launched.location, status_code=HTTP_303_SEE_OTHER, cookies=cookies)

    @get(
        "/register/{ticket:str}",
        operation_id="ltiDynamicRegistration",
        summary="LTI Dynamic Registration, opened by the LMS; registers it for the URL's district",
        media_type=MediaType.HTML,
        responses=problems(400, 401, 409, 422),
    )
    async def register(
        self,
        lti: NamedDependency[Runtime],
        ticket: FromPath[str],
        request: Request[Any, Any, Any],
    ) -> str:
        view = await dynamic.register(lti, ticket, await _params(request))
        return dynamic.close_page(view)

    @get("/jwks", operation_id="ltiJwks", summary="The tool's public keys (JWKS)")
    async def jwks(self, lti: NamedDependency[Runtime]) -> dict[str, list[dict[str, object]]]:
        keys: ToolKeys = lti.tool_keys
        return await keys.jwks()


class RegistrationController(Controller):
    path = "/api/v1/lti/registrations"
    tags = ["lti"]
    opt = requires(Scope.ADMIN)

    @post(
        operation_id="putLtiRegistration",
        summary="Register a platform, or update the registration of its (issuer, client_id)",
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 409, 413, 415, 422),
    )
    async def put(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        data: JSONBody[RegistrationWrite],
    ) -> RegistrationView:
        view, _ = await Registrations(sessions, principal_of(request).district_id).put(data)
        return view

    @get(
        operation_id="listLtiRegistrations", summary="The district's platforms", responses=problems(401, 403)
    )
    async def all(
        self, request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]
    ) -> list[RegistrationView]:
        return await Registrations(sessions, principal_of(request).district_id).all()

    @get(
        "/{registration_id:uuid}",
        operation_id="getLtiRegistration",
        summary="One platform registration",
        responses=problems(401, 403, 404),
    )
    async def one(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        registration_id: FromPath[uuid.UUID],
    ) -> RegistrationView:
        return await Registrations(sessions, principal_of(request).district_id).get(registration_id)

    @delete(
        "/{registration_id:uuid}",
        operation_id="deleteLtiRegistration",
        summary="Remove a platform registration (its launches stop working)",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401, 403, 404),
    )
    async def remove(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        registration_id: FromPath[uuid.UUID],
    ) -> None:
        await Registrations(sessions, principal_of(request).district_id).delete(registration_id)


class RegistrationUrlController(Controller):
    path = "/api/v1/lti/registration-url"
    tags = ["lti"]
    opt = requires(Scope.ADMIN)

    @post(
        operation_id="createLtiRegistrationUrl",
        summary="A URL to paste into the LMS's LTI dynamic registration (one registration, within an hour)",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        lti: NamedDependency[Runtime],
        sessions: NamedDependency[Sessions],
    ) -> RegistrationUrl:
        return await dynamic.Tickets(sessions, principal_of(request).district_id).issue(lti.base_url)

    @get(
        operation_id="listLtiRegistrationUrls",
        summary="The district's registration URLs not yet used nor expired",
        responses=problems(401, 403),
    )
    async def open(
        self, request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]
    ) -> list[RegistrationUrlView]:
        return await dynamic.Tickets(sessions, principal_of(request).district_id).open()

    @delete(
        "/{url_id:uuid}",
        operation_id="revokeLtiRegistrationUrl",
        summary="Revoke a registration URL: it registers nothing any more",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401, 403, 404),
    )
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        url_id: FromPath[uuid.UUID],
    ) -> None:
        await dynamic.Tickets(sessions, principal_of(request).district_id).revoke(url_id)


class ToolController(Controller):
    path = "/api/v1/lti/tool"
    tags = ["lti"]
    opt = requires(Scope.ADMIN)

    @get(
        operation_id="getLtiTool",
        summary="The tool's URLs, to paste into an LMS's LTI 1.3 registration of it",
        responses=problems(401, 403),
    )
    async def tool(self, lti: NamedDependency[Runtime]) -> ToolUrls:
        # The same URLs dynamic registration sends the LMS.
        return ToolUrls(
            login_url=f"{lti.base_url}/lti/login",
            launch_url=lti.launch_url,
            jwks_url=f"{lti.base_url}/lti/jwks",
            domain=urlsplit(lti.base_url).netloc,
        )


class DeepLinkController(Controller):
    path = "/api/v1/lti/deep-links"
    tags = ["lti"]
    opt = requires(Scope.LEARNER, Scope.CONTENT_FACILITATE)

    @post(
        "/{dl:str}/response",
        operation_id="answerLtiDeepLink",
        summary="The instructor's pick: a signed LtiDeepLinkingResponse to form-POST as JWT to return_url",
        status_code=200,
        responses=problems(400, 401, 403, 404, 413, 415, 422),
    )
    async def answer(
        self,
        request: Request[Any, Any, Any],
        lti: NamedDependency[Runtime],
        dl: FromPath[str],
        data: JSONBody[DeepLinkChoice],
    ) -> DeepLinkResponse:
        """Single use: the deep-link id from the launch fragment (`dl=`) answers once, within 30 minutes."""
        principal = principal_of(request)
        assert principal.learner_id is not None  # the learner scope is held only by learner tokens
        return await lti.deep_link_response(dl, principal.district_id, principal.learner_id, data.modules)


class CartridgeController(Controller):
    path = "/api/v1/lti/cartridge"
    tags = ["lti"]
    opt = requires(Scope.ADMIN)

    @get(
        operation_id="getLtiCartridge",
        summary="A thin Common Cartridge 1.3 (zip): one LTI 1.3 link per module, for one LMS import",
        media_type=CARTRIDGE,
        responses=problems(400, 401, 403, 404, 422),
    )
    async def cartridge(
        self,
        lti: NamedDependency[Runtime],
        lang: Annotated[str, QueryParameter(description="The links' language (en, es).")] = "en",
    ) -> Response[bytes]:
        """Links titled in `lang` (a language every module is published in; English by default),
        each opening the tool's launch URL with the custom parameter `module`. The LMS must
        have this tool registered (LTI 1.3) for the links to launch."""
        course = await lti.catalog.course()
        entries = [await lti.catalog.entry(module_id) for module_id in course.modules]
        languages = sorted(set.intersection(*(set(e.locales) for e in entries))) if entries else ["en"]
        if lang not in languages:
            raise InvalidInput(
                f"lang must be one of {', '.join(languages)}: every module is published in those."
            )
        links = [
            Link(module_id=e.module.id, title=m.title, description=m.summary.strip())
            for e in entries
            for m in [lti.catalog.localized(e, lang)]
        ]
        title = course.translations.get(lang, {}).get("title", course.title)
        body = cartridge(course.id, title, lang, links, lti.launch_url)
        disposition = f'attachment; filename="frontoffice-{lang}.imscc"'
        return Response(body, media_type=CARTRIDGE, headers={"Content-Disposition": disposition})
