"""Which webhook URLs and addresses api.outbound refuses; GuardedTransport against a real server."""

import ipaddress
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from api.outbound import (
    AiohttpTransport,
    GuardedTransport,
    UnsafeDestination,
    check_url,
    is_allowed_address,
    resolve_and_check,
)
from api.outbound.guard import _send_pinned

pytestmark = pytest.mark.anyio


# --- where a URL points -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("10.0.0.1", "10.0.0.1 is a private address"),
        ("169.254.169.254", "169.254.169.254 is a cloud metadata address"),
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("::1", "::1 is a loopback address"),
        ("192.168.1.1", "192.168.1.1 is a private address"),
        ("172.16.0.1", "172.16.0.1 is a private address"),
        ("100.64.0.1", "100.64.0.1 is in the shared address space 100.64.0.0/10"),
        ("[fd00:ec2::254]", "fd00:ec2::254 is a cloud metadata address"),
        (
            "::ffff:10.0.0.1",
            "::ffff:10.0.0.1 is an IPv4-mapped address wrapping 10.0.0.1, which is a private",
        ),
        ("0.0.0.0", "0.0.0.0 is the unspecified address"),
        ("224.0.0.1", "224.0.0.1 is a multicast address"),
        ("100.100.100.200", "100.100.100.200 is a cloud metadata address"),
        (
            "::ffff:169.254.169.254",
            "::ffff:169.254.169.254 is an IPv4-mapped address wrapping 169.254.169.254",
        ),
        ("198.18.0.1", "198.18.0.1 is a benchmarking address"),
        ("192.0.2.1", "192.0.2.1 is a documentation address"),
        ("2001:db8::1", "2001:db8::1 is a documentation address"),
        ("fe80::1", "fe80::1 is a link-local address"),
        ("169.254.1.1", "169.254.1.1 is a link-local address"),
        ("fc00::1", "fc00::1 is a private address"),
        ("fec0::1", "fec0::1 is a site-local address"),
        ("::", ":: is the unspecified address"),
        ("ff02::1", "ff02::1 is a multicast address"),
        ("240.0.0.1", "240.0.0.1 is a"),
        ("255.255.255.255", "255.255.255.255 is a"),
        ("192.0.0.8", "192.0.0.8 is an IETF protocol assignment address"),
        ("2002:a00:1::1", "2002:a00:1::1 is a 6to4 address wrapping 10.0.0.1, which is a private address"),
        ("64:ff9b::7f00:1", "64:ff9b::7f00:1 is a NAT64 address wrapping 127.0.0.1, which is a loopback"),
        (
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2 is a Teredo address wrapping",
        ),
        (
            "2001:0:5db8:d822:8000:63bf:a2b7:2dde",
            "2001:0:5db8:d822:8000:63bf:a2b7:2dde is a Teredo tunnelling address",
        ),
    ],
)
async def test_non_public_literals_are_refused_with_the_reason(host: str, message: str) -> None:
    with pytest.raises(UnsafeDestination, match="^" + re.escape(message)) as caught:
        await resolve_and_check(host, 443, allowlist=())
    assert "webhooks are only delivered to public internet addresses" in str(caught.value)
    assert caught.value.address == host.strip("[]")


async def test_refusal_message_reads_plainly() -> None:
    with pytest.raises(UnsafeDestination) as caught:
        await resolve_and_check("10.0.0.1", 443, allowlist=())
    assert str(caught.value) == (
        "10.0.0.1 is a private address; webhooks are only delivered to public internet addresses "
        "(an operator can allowlist an address that is meant to be reached)"
    )
    assert caught.value.reason == "a private address"
    assert caught.value.host is None


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "8.8.8.8",
        "2606:4700:4700::1111",
        "::ffff:93.184.216.34",  # mapped: the connection goes to the public IPv4 address
        "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34
        "2002:5db8:d822::1",  # 6to4 of 93.184.216.34
    ],
)
async def test_public_addresses_are_allowed(address: str) -> None:
    assert is_allowed_address(ipaddress.ip_address(address), allowlist=())
    assert await resolve_and_check(address, 443, allowlist=()) == [address]


def test_an_allowlisted_address_is_allowed_and_only_that_one() -> None:
    loopback = ipaddress.ip_address("127.0.0.1")
    assert not is_allowed_address(loopback, allowlist=())
    assert is_allowed_address(loopback, allowlist=["127.0.0.1"])
    assert not is_allowed_address(ipaddress.ip_address("127.0.0.2"), allowlist=["127.0.0.1"])
    assert not is_allowed_address(ipaddress.ip_address("::1"), allowlist=["127.0.0.1"])


def test_an_allowlist_entry_may_be_a_network() -> None:
    assert is_allowed_address(ipaddress.ip_address("127.0.0.2"), allowlist=["127.0.0.0/8"])
    assert is_allowed_address(ipaddress.ip_address("fd12::5"), allowlist=["10.0.0.0/8", "fd00::/8"])
    assert not is_allowed_address(ipaddress.ip_address("10.0.0.1"), allowlist=["10.1.0.0/16"])


def test_a_mapped_address_is_allowlisted_by_its_ipv4_address() -> None:
    assert is_allowed_address(ipaddress.ip_address("::ffff:127.0.0.1"), allowlist=["127.0.0.1"])


def test_a_malformed_allowlist_entry_is_an_error() -> None:
    with pytest.raises(ValueError, match="'localhost' is neither an IP address nor a network"):
        is_allowed_address(ipaddress.ip_address("127.0.0.1"), allowlist=["localhost"])
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33' is neither"):
        GuardedTransport(allowlist=["0.0.0.0/0", "10.0.0.0/33"])


async def test_an_allowlisted_literal_is_returned() -> None:
    assert await resolve_and_check("127.0.0.1", 8080, allowlist=["127.0.0.1"]) == ["127.0.0.1"]


async def test_localhost_resolves_to_loopback_and_is_refused() -> None:
    with pytest.raises(
        UnsafeDestination, match=r"^localhost resolves to (127\.0\.0\.1|::1), which is a loopback"
    ):
        await resolve_and_check("localhost", 443, allowlist=())


async def test_localhost_is_allowed_when_its_addresses_are_allowlisted() -> None:
    addresses = await resolve_and_check("localhost", 443, allowlist=["127.0.0.0/8", "::1"])
    assert addresses
    assert all(ipaddress.ip_address(a).is_loopback for a in addresses)


async def test_an_integer_spelling_of_loopback_is_caught_after_resolution() -> None:
    # The C resolver reads "2130706433" as 127.0.0.1, though it is no IP literal to Python.
    with pytest.raises(UnsafeDestination, match=r"^2130706433 resolves to 127\.0\.0\.1"):
        await resolve_and_check("2130706433", 443, allowlist=())


# --- how a URL is written -----------------------------------------------------------------------


def test_an_https_url_is_accepted() -> None:
    url = check_url("https://hooks.district.example:8443/frontoffice?x=1", allow_http=False)
    assert (url.scheme, url.host, url.port, url.path) == (
        "https",
        "hooks.district.example",
        8443,
        "/frontoffice",
    )
    assert check_url("https://[2606:4700::1111]/hook", allow_http=False).host == "2606:4700::1111"
    assert check_url("https://Bücher.example./hook", allow_http=False).raw_host == b"xn--bcher-kva.example."
    assert check_url("https://10.0.0.1/hook", allow_http=False).host == "10.0.0.1"  # refused by address


def test_http_is_refused_unless_allowed() -> None:
    with pytest.raises(ValueError, match="has 'http'; a webhook URL must use https"):
        check_url("http://hooks.district.example/", allow_http=False)
    assert check_url("http://hooks.district.example/", allow_http=True).scheme == "http"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://user:secret@hooks.district.example/", "contains a username or password"),
        ("https://token@hooks.district.example/", "contains a username or password"),
        ("ftp://hooks.district.example/", "has 'ftp'; a webhook URL must use https or http"),
        ("file:///etc/passwd", "has 'file'"),
        ("//hooks.district.example/", "has no scheme"),
        ("https:///path", "has no host"),
        ("https://hooks district.example/", "neither a DNS name nor an IP address"),
        ("https://hooks.district.example%2F@/", "is not a valid URL|contains a username"),
        ("https://exa\u0000mple.com/", "is not a valid URL"),
        ("https://-hooks.example/", "neither a DNS name nor an IP address"),
    ],
)
def test_badly_written_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_url(url, allow_http=True)


# --- GuardedTransport -----------------------------------------------------------------------------


class Server:
    """A real HTTP server on 127.0.0.1 in a thread, recording the Host header and path it was sent."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.seen: list[tuple[str, str]] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append((self.headers["Host"], self.path))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.http.socket = tls.wrap_socket(self.http.socket, server_side=True)
        self.port = self.http.server_address[1]
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)


@pytest.fixture
def server() -> Iterator[Server]:
    server = Server()
    server.thread.start()
    yield server
    server.http.shutdown()
    server.http.server_close()
    server.thread.join()


def self_signed_for_localhost(directory: Path) -> Path:
    """A certificate and key for the name `localhost` only (no IP address), as one PEM file."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = directory / "localhost.pem"
    path.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    pem = self_signed_for_localhost(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pem)
    server = Server(tls=context)
    server.thread.start()
    yield server, pem
    server.http.shutdown()
    server.http.server_close()
    server.thread.join()


def client(transport: httpx.AsyncBaseTransport, *, follow_redirects: bool = False) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=transport, trust_env=False, timeout=5, follow_redirects=follow_redirects
    )


async def test_transport_refuses_loopback_before_sending(server: Server) -> None:
    async with client(GuardedTransport()) as http:
        with pytest.raises(UnsafeDestination, match=r"^127\.0\.0\.1 is a loopback address"):
            await http.get(f"http://127.0.0.1:{server.port}/hook")
        with pytest.raises(UnsafeDestination, match=r"^localhost resolves to"):
            await http.get(f"http://localhost:{server.port}/hook")
    assert server.seen == []


async def test_transport_sends_to_an_allowlisted_local_server(server: Server) -> None:
    async with client(GuardedTransport(allowlist=["127.0.0.1"])) as http:
        response = await http.get(f"http://127.0.0.1:{server.port}/hook")
    assert (response.status_code, response.text) == (200, "ok")
    assert server.seen == [(f"127.0.0.1:{server.port}", "/hook")]


async def test_a_remembered_verdict_on_an_address_holds_for_its_own_allowlist_only(server: Server) -> None:
    url = f"http://127.0.0.1:{server.port}/hook"
    async with (
        client(GuardedTransport(allowlist=["127.0.0.1"])) as allowed,
        client(GuardedTransport()) as guarded,
    ):
        for _ in range(2):  # the second time, each verdict comes from memory
            assert (await allowed.get(url)).status_code == 200
            with pytest.raises(UnsafeDestination, match="loopback"):
                await guarded.get(url)
    assert len(server.seen) == 2


async def test_transport_connects_to_the_checked_address_keeping_the_host_name(server: Server) -> None:
    async with client(GuardedTransport(allowlist=["127.0.0.0/8", "::1"])) as http:
        response = await http.get(f"http://localhost:{server.port}/hook")
    assert response.status_code == 200
    # The server saw the name, though the connection was made to the address checked.
    assert server.seen == [(f"localhost:{server.port}", "/hook")]
    assert response.request.url == f"http://localhost:{server.port}/hook"


async def test_transport_pins_http_requests_to_the_checked_address() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    async with client(GuardedTransport(httpx.MockTransport(handler), allowlist=["127.0.0.1"])) as http:
        await http.post("http://localhost:8080/hook?a=1", content=b"{}")
    [request] = sent
    assert str(request.url) == "http://127.0.0.1:8080/hook?a=1"
    assert request.headers["Host"] == "localhost:8080"
    assert request.content == b"{}"
    assert "sni_hostname" not in request.extensions


async def test_transport_keeps_the_host_name_for_tls() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    async with client(GuardedTransport(httpx.MockTransport(handler), allowlist=["127.0.0.1"])) as http:
        response = await http.get("https://localhost/hook")
    [request] = sent
    assert request.url.host == "127.0.0.1"
    assert request.headers["Host"] == "localhost"
    assert request.extensions["sni_hostname"] == "localhost"
    assert request.extensions["timeout"]["connect"] == 5
    # A pooled TLS connection is keyed by address, so it must not serve another host name.
    assert request.headers["Connection"] == "close"
    assert response.request.url == "https://localhost/hook"


async def test_transport_verifies_tls_against_the_host_name_not_the_address(
    tls_server: tuple[Server, Path],
) -> None:
    server, pem = tls_server
    trust = ssl.create_default_context(cafile=str(pem))
    inner = httpx.AsyncHTTPTransport(verify=trust)
    async with client(GuardedTransport(inner, allowlist=["127.0.0.1"])) as http:
        # The certificate names only `localhost`, so this succeeds only if TLS checked that name
        # while the connection went to 127.0.0.1.
        response = await http.get(f"https://localhost:{server.port}/hook")
        assert (response.status_code, response.text) == (200, "ok")
        # And the address itself does not pass for the name.
        with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
            await http.get(f"https://127.0.0.1:{server.port}/hook")
    assert server.seen == [(f"localhost:{server.port}", "/hook")]


async def test_transport_checks_every_redirect_hop() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"Location": "http://169.254.169.254/latest/meta-data/"})

    guarded = GuardedTransport(httpx.MockTransport(handler))
    async with client(guarded, follow_redirects=True) as http:
        with pytest.raises(UnsafeDestination, match="cloud metadata"):
            await http.get("https://93.184.216.34/hook")


async def test_transport_falls_back_to_the_next_checked_address() -> None:
    tried: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        tried.append(request.url.host)
        if request.url.host == "2606:4700::1":
            raise httpx.ConnectError("network unreachable", request=request)
        return httpx.Response(200)

    original = httpx.Request("POST", "https://hooks.district.example/hook", content=b"{}")
    response = await _send_pinned(httpx.MockTransport(handler), original, ["2606:4700::1", "93.184.216.34"])
    assert response.status_code == 200
    assert tried == ["2606:4700::1", "93.184.216.34"]


async def test_transport_reports_the_last_connect_error_against_the_callers_request() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    original = httpx.Request("POST", "https://hooks.district.example/hook", content=b"{}")
    with pytest.raises(httpx.ConnectError) as caught:
        await _send_pinned(httpx.MockTransport(handler), original, ["93.184.216.34"])
    assert caught.value.request is original


async def test_a_name_that_does_not_resolve_is_a_connect_error() -> None:
    async with client(GuardedTransport()) as http:
        with pytest.raises(httpx.ConnectError, match=r"cannot resolve nonexistent\.invalid"):
            await http.get("https://nonexistent.invalid/hook")


# --- AiohttpTransport, GuardedTransport's default inner transport ---------------------------------


class KeepAliveServer:
    """An HTTP/1.1 server on 127.0.0.1 that keeps every connection open, even when asked to close
    it, and records each request's headers and the client port it came from; it sets a cookie."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, dict[str, str]]] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                seen.append((self.client_address[1], dict(self.headers.items())))
                self.close_connection = False  # whatever the client asked for
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.send_header("Set-Cookie", "session=district-a")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True  # handlers of kept-open connections would block shutdown
        self.port = self.http.server_address[1]
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)


@pytest.fixture
def keep_alive_server() -> Iterator[KeepAliveServer]:
    server = KeepAliveServer()
    server.thread.start()
    yield server
    server.http.shutdown()
    server.http.server_close()
    server.thread.join()


async def post(transport: httpx.AsyncBaseTransport, url: str, **headers: str) -> httpx.Response:
    request = httpx.Request("POST", url, content=b"{}", headers=headers, extensions={"timeout": {}})
    response = await transport.handle_async_request(request)
    await response.aread()
    await response.aclose()
    return response


def test_the_default_inner_transport_is_aiohttp() -> None:
    assert isinstance(GuardedTransport()._inner, AiohttpTransport)


async def test_aiohttp_sends_what_httpx_built_and_keeps_no_cookie(keep_alive_server: KeepAliveServer) -> None:
    url = f"http://127.0.0.1:{keep_alive_server.port}/hook"
    transport = AiohttpTransport()
    try:
        first = await post(transport, url, **{"webhook-id": "msg_1"})
        await post(transport, url)
    finally:
        await transport.aclose()
    assert (first.status_code, first.content, first.headers["set-cookie"]) == (
        200,
        b"ok",
        "session=district-a",
    )
    (port_1, headers_1), (port_2, headers_2) = keep_alive_server.seen
    assert port_1 == port_2  # pooled
    # Only the headers httpx wrote: aiohttp added no User-Agent, Accept or Content-Type of its own.
    assert set(headers_1) == {"Host", "Content-Length", "webhook-id"}
    assert "Cookie" not in headers_2


async def test_aiohttp_never_pools_a_connection_the_request_asked_to_close(
    keep_alive_server: KeepAliveServer,
) -> None:
    url = f"http://127.0.0.1:{keep_alive_server.port}/hook"
    transport = AiohttpTransport()
    try:
        for _ in range(2):
            await post(transport, url, Connection="close")
    finally:
        await transport.aclose()
    # The server kept both open, yet the second request came on a new connection: GuardedTransport
    # closes https connections this way, so a certificate checked for one host name serves no other.
    assert len({port for port, _ in keep_alive_server.seen}) == 2


async def test_aiohttp_verifies_tls_against_the_host_name_not_the_address(
    tls_server: tuple[Server, Path],
) -> None:
    server, pem = tls_server
    inner = AiohttpTransport(verify=ssl.create_default_context(cafile=str(pem)))
    async with client(GuardedTransport(inner, allowlist=["127.0.0.1"])) as http:
        response = await http.get(f"https://localhost:{server.port}/hook")
        assert (response.status_code, response.text) == (200, "ok")
        with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
            await http.get(f"https://127.0.0.1:{server.port}/hook")
    assert server.seen == [(f"localhost:{server.port}", "/hook")]


async def test_aiohttp_reports_a_refused_connection_as_a_connect_error(server: Server) -> None:
    # A connect error means nothing was sent, so GuardedTransport tries the next checked address.
    original = httpx.Request("GET", f"http://localhost:{server.port}/hook", extensions={"timeout": {}})
    transport = AiohttpTransport()
    try:
        with pytest.raises(httpx.ConnectError):
            await _send_pinned(transport, original, ["127.0.0.2"])  # the server listens on .1 only
        response = await _send_pinned(transport, original, ["127.0.0.2", "127.0.0.1"])
        await response.aclose()
    finally:
        await transport.aclose()
    assert response.status_code == 200
    assert server.seen == [(f"localhost:{server.port}", "/hook")]


async def test_aiohttp_times_out_reading_a_silent_server() -> None:
    with socket.socket() as silent:  # accepts connections (the backlog does) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        async with client(GuardedTransport(allowlist=["127.0.0.1"])) as http:
            with pytest.raises(httpx.ReadTimeout):
                await http.post(
                    f"http://127.0.0.1:{silent.getsockname()[1]}/hook", content=b"{}", timeout=0.2
                )
