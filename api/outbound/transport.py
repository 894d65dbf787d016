"""The aiohttp transport: httpx stays the client API, aiohttp's connection pool carries the
requests (`GuardedTransport` sends through it by default)."""

import contextlib
import functools
import ssl
from collections.abc import AsyncIterator, Iterator

import aiohttp
import httpx

# aiohttp would add these when the request lacks them; httpx already wrote the ones it meant to send.
NOT_ADDED = frozenset({"Accept", "Accept-Encoding", "User-Agent", "Content-Type"})


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends through aiohttp's connection pool; GuardedTransport's default inner.

    httpx's own pool slows down sharply above a few concurrent requests (encode/httpx#3215), aiohttp's
    keeps its pace; the client API stays httpx's. Requests go out as httpx built them: aiohttp adds no
    header, keeps no cookie, follows no redirect, reads no proxy from the environment and decodes no
    body (httpx does, from the raw bytes). A request saying `Connection: close` gets a connection of
    its own that is closed after it, whatever the server answers, so such a connection is never
    pooled (GuardedTransport relies on that for TLS).

    aiohttp's errors become the httpx errors they correspond to; `httpx.ConnectError` only when no
    connection was made, so nothing was sent and another address may be tried. The connect, read and
    pool timeouts apply as in httpx; aiohttp has no write timeout (bodies sent here are small, and the
    read timeout bounds the wait for the answer). Request bodies are read into memory before sending.
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | bool = True,
        max_connections: int = 100,
        keepalive_expiry: float = 5.0,
    ) -> None:
        self._ssl: ssl.SSLContext | bool = _verifying_context() if verify is True else verify
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        # Made on first use: an aiohttp session belongs to the event loop it was made in.
        self._pooled: aiohttp.ClientSession | None = None
        self._closing: aiohttp.ClientSession | None = None

    def _session(self, close: bool) -> aiohttp.ClientSession:
        session = self._closing if close else self._pooled
        if session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                keepalive_timeout=None if close else self._keepalive_expiry,
                force_close=close,
                ssl=self._ssl,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=NOT_ADDED,
                auto_decompress=False,
                trust_env=False,
            )
            if close:
                self._closing = session
            else:
                self._pooled = session
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        pool, connect = timeout.get("pool"), timeout.get("connect")
        try:
            body = request.content
        except httpx.RequestNotRead:
            body = await request.aread()
        encoding = request.headers.encoding
        # One pass over the raw headers (httpx's mapping lookups decode every header each time).
        headers = [(name.decode(encoding), value.decode(encoding)) for name, value in request.headers.raw]
        close = any(name.lower() == "connection" and value.lower() == "close" for name, value in headers)
        with _httpx_errors(request):
            response = await self._session(close).request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                server_hostname=request.extensions.get("sni_hostname"),
                timeout=_client_timeout(pool, connect, timeout.get("read")),
            )
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=_AiohttpStream(response, request),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode()},
        )

    async def aclose(self) -> None:
        for session in (self._pooled, self._closing):
            if session is not None:
                await session.close()
        self._pooled = self._closing = None


@functools.cache
def _verifying_context() -> ssl.SSLContext:
    """The default verifying TLS context, made once per process: reading the CA bundle costs ~35 ms
    of CPU, and every runtime (the app's, a worker's, each test's) makes a transport. A context is
    meant to be shared by connections; nothing here changes it after it is made."""
    return httpx.create_ssl_context()


@functools.lru_cache(maxsize=64)
def _client_timeout(pool: float | None, connect: float | None, read: float | None) -> aiohttp.ClientTimeout:
    """httpx's timeouts as aiohttp's (made once per distinct set: every delivery uses the same)."""
    return aiohttp.ClientTimeout(
        total=None,
        # aiohttp's `connect` covers the wait for a pooled connection and the connecting.
        connect=None if pool is None or connect is None else pool + connect,
        sock_connect=connect,
        sock_read=read,
    )


class _AiohttpStream(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors(self._request):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        # A body read to its end has already given the connection back; one left unread closes it.
        self._response.release()


@contextlib.contextmanager
def _httpx_errors(request: httpx.Request) -> Iterator[None]:
    """Raise aiohttp's errors as the httpx errors they correspond to (most specific first)."""
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:  # no connection in time (the pool's wait included)
        raise httpx.ConnectTimeout(str(exc), request=request) from exc
    except aiohttp.ClientConnectorError as exc:  # refused, unreachable, TLS refused: nothing was sent
        raise httpx.ConnectError(str(exc), request=request) from exc
    except aiohttp.ServerTimeoutError as exc:
        raise httpx.ReadTimeout(str(exc) or "reading the response timed out", request=request) from exc
    except aiohttp.ServerDisconnectedError as exc:
        raise httpx.RemoteProtocolError(str(exc), request=request) from exc
    except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
        raise httpx.ReadError(str(exc), request=request) from exc
    except aiohttp.ClientResponseError as exc:  # a response aiohttp could not parse
        raise httpx.RemoteProtocolError(exc.message, request=request) from exc
    except aiohttp.ClientError as exc:
        raise httpx.TransportError(str(exc), request=request) from exc
