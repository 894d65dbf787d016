"""The SSRF guard: which URLs and addresses outbound calls (webhook deliveries, LTI platform
requests) may reach, and the transport that enforces it on every request.

A district chooses its endpoint URL, so without these checks it could make the service post to
addresses only the service can reach (its database, the cloud metadata endpoint, the admin network).

- `check_url` checks how an endpoint URL is written (scheme, no credentials, a host).
- `resolve_and_check` checks where it points: every address its host resolves to must be public,
  unless an operator allowlisted it.
- `GuardedTransport` repeats that check for every request and connects only to the addresses it
  checked, so a DNS answer that changes between the check and the connection (DNS rebinding) cannot
  redirect a delivery. It sends through `api.outbound.transport.AiohttpTransport` by default.

Errors: `ValueError` for a URL that is malformed or written in a way that is not accepted;
`UnsafeDestination` for a URL that points at an address that is not public.
"""

import asyncio
import functools
import ipaddress
import re
import socket
from collections.abc import Collection

import httpx

from api.outbound.transport import AiohttpTransport

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PORTS = {"http": 80, "https": 443}

# Cloud instance metadata services (AWS, GCP, Azure, OpenStack; AWS over IPv6; Alibaba) hand out
# credentials, so they are named as such even where another rule would refuse them too.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address) for address in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")
BENCHMARKING = ipaddress.IPv4Network("198.18.0.0/15")
DOCUMENTATION: tuple[IPNetwork, ...] = (
    ipaddress.IPv4Network("192.0.2.0/24"),
    ipaddress.IPv4Network("198.51.100.0/24"),
    ipaddress.IPv4Network("203.0.113.0/24"),
    ipaddress.IPv6Network("2001:db8::/32"),
    ipaddress.IPv6Network("3fff::/20"),
)
# IETF protocol assignments (RFC 6890); not every Python release counts them as non-global.
PROTOCOL_ASSIGNMENTS = ipaddress.IPv4Network("192.0.0.0/24")
# RFC 6052's well-known NAT64 prefix: on an IPv6-only network with DNS64, public IPv4 hosts resolve
# to these, and the gateway forwards to the IPv4 address in the last 32 bits.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# A DNS name as httpx gives it (IDNA already applied), optionally fully qualified. Underscores occur
# in real names though RFC 952 forbids them.
HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?")


class UnsafeDestination(Exception):
    """Raised when a webhook URL's host is, or resolves to, an address deliveries must not reach.

    The message names the host, the address and why it is refused.
    """

    def __init__(self, address: str, reason: str, host: str | None = None) -> None:
        self.address = address
        self.reason = reason
        self.host = host
        subject = (
            f"{address} is" if host is None or host == address else f"{host} resolves to {address}, which is"
        )
        super().__init__(
            f"{subject} {reason}; webhooks are only delivered to public internet addresses "
            "(an operator can allowlist an address that is meant to be reached)"
        )


def check_url(url: str, *, allow_http: bool) -> httpx.URL:
    """Parse a webhook endpoint URL, or raise ValueError saying why it is not accepted.

    Only https is accepted (http too when `allow_http`); the URL must name a host and must not carry
    a username or password. Where the host points is checked by `resolve_and_check`.
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"{url!r} is not a valid URL: {exc}") from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parsed.scheme not in schemes:
        allowed = " or ".join(schemes)
        got = f"{parsed.scheme!r}" if parsed.scheme else "no scheme"
        raise ValueError(f"{url!r} has {got}; a webhook URL must use {allowed}")
    if parsed.userinfo:
        # Credentials in the URL would be sent as Basic auth to whatever the host turns out to be and
        # would be stored in clear; endpoints authenticate deliveries by the signature instead.
        raise ValueError(f"{url!r} contains a username or password; a webhook URL must not")
    if not parsed.host:
        raise ValueError(f"{url!r} has no host")
    host = parsed.raw_host.decode("ascii").lower()
    if _literal(host) is None and not HOST_NAME.fullmatch(host):
        raise ValueError(f"{url!r} has a host that is neither a DNS name nor an IP address")
    return parsed


def _carrying(how: str, inner: ipaddress.IPv4Address) -> str | None:
    """Why an IPv6 address carrying `inner` is refused, if `inner` is."""
    reason = _unsafe_reason(inner)
    return None if reason is None else f"{how} wrapping {inner}, which is {reason}"


def _unsafe_reason(ip: IPAddress) -> str | None:
    """Why deliveries must not reach `ip`, as a noun phrase, or None when it is a public address."""
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        # These reach the IPv4 address they carry, so that address is what is judged.
        if ip.ipv4_mapped is not None:
            return _carrying("an IPv4-mapped address", ip.ipv4_mapped)
        if ip in NAT64:
            return _carrying("a NAT64 address", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.teredo is not None:
            server, client = ip.teredo
            # Teredo is obsolete and relayed by third parties, so it is refused whatever it carries.
            return (
                _carrying("a Teredo address", server)
                or _carrying("a Teredo address", client)
                or "a Teredo tunnelling address"
            )
        if ip.sixtofour is not None and (reason := _carrying("a 6to4 address", ip.sixtofour)) is not None:
            return reason
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip in SHARED_ADDRESS_SPACE:
        return "in the shared address space 100.64.0.0/10 (carrier-grade NAT)"
    if ip in PROTOCOL_ASSIGNMENTS:
        return "an IETF protocol assignment address (192.0.0.0/24)"
    if ip in BENCHMARKING:
        return "a benchmarking address (198.18.0.0/15)"
    if any(ip in network for network in DOCUMENTATION):
        return "a documentation address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "a site-local address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    # Everything else the IANA special-purpose registries list (e.g. 192.0.0.0/24) as not global.
    if not ip.is_global:
        return "not a globally routable address"
    return None


def _networks(allowlist: Collection[str]) -> list[IPNetwork]:
    """The allowlist's entries as networks (an address is a network of one), or ValueError."""
    networks: list[IPNetwork] = []
    for entry in allowlist:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"webhook allowlist entry {entry!r} is neither an IP address nor a network (CIDR)"
            ) from None
    return networks


@functools.lru_cache(maxsize=64)
def _parsed(allowlist: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """`_networks`, parsed once per allowlist: every delivery checks against the same one."""
    return tuple(_networks(allowlist))


def _allowlisted(ip: IPAddress, allowlist: Collection[str]) -> bool:
    return any(ip in network for network in _parsed(tuple(allowlist)))


def is_allowed_address(ip: IPAddress, allowlist: Collection[str]) -> bool:
    """Whether deliveries may reach `ip`: it is public, or allowlisted by address or network.

    An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is allowlisted by its IPv4 address too, as the
    connection goes there.
    """
    if _allowlisted(ip, allowlist):
        return True
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    if mapped is not None and _allowlisted(mapped, allowlist):
        return True
    return _unsafe_reason(ip) is None


def _show(ip: IPAddress) -> str:
    """An address as people write it: IPv4-mapped addresses with their IPv4 part dotted."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return f"::ffff:{ip.ipv4_mapped}"
    return str(ip)


@functools.lru_cache(maxsize=1024)
def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


async def resolve_and_check(host: str, port: int, allowlist: Collection[str]) -> list[str]:
    """The addresses `host` resolves to (IPv4 and IPv6), each checked, in the resolver's order.

    Raises UnsafeDestination if any address is not allowed: a name that resolves to one public and
    one private address is refused, as the connection could go to either. An IP literal is checked
    as is, without DNS. A name that does not resolve raises `socket.gaierror` (an OSError).
    """
    allowed = tuple(allowlist)
    literal = _literal(host)
    if literal is not None:
        _check(literal, allowed)
        return [_show(literal)]
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    ips: list[IPAddress] = []
    for *_, sockaddr in infos:
        # Link-local IPv6 answers may carry a zone ("fe80::1%eth0"); ipaddress keeps it.
        ip = ipaddress.ip_address(sockaddr[0])
        if ip not in ips:
            ips.append(ip)
    if not ips:
        raise socket.gaierror(socket.EAI_NONAME, f"{host} resolves to no address")
    for ip in ips:
        _check(ip, allowed, host)
    return [_show(ip) for ip in ips]


@functools.lru_cache(maxsize=1024)
def _allowed(ip: IPAddress, allowlist: tuple[str, ...]) -> bool:
    """`is_allowed_address`, remembered: an address is judged once per allowlist."""
    return is_allowed_address(ip, allowlist)


def _check(ip: IPAddress, allowlist: tuple[str, ...], host: str | None = None) -> None:
    """Raise UnsafeDestination if deliveries may not reach `ip` (what `host` resolved to, if named)."""
    if not _allowed(ip, allowlist):
        reason = _unsafe_reason(ip)
        assert reason is not None  # is_allowed_address said it was refused
        raise UnsafeDestination(_show(ip), reason, host=host)


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends a request only to addresses `resolve_and_check` allowed.

    For every request (so for every redirect hop too) it resolves and checks the URL's host, raises
    UnsafeDestination before anything is sent if an address is refused, and otherwise hands the inner
    transport a copy of the request whose URL names the checked address instead of the host, trying
    the addresses in order until one connects. The `Host` header keeps the host name, and for https
    the `sni_hostname` extension makes TLS present and verify the host name, not the address.

    A name that does not resolve raises `httpx.ConnectError`, and resolving for longer than the
    request's connect timeout raises `httpx.ConnectTimeout`, as connecting would.

    Give it to an `httpx.AsyncClient(transport=..., trust_env=False)`: with `trust_env` the client
    routes through any proxy named in the environment, around this transport.
    """

    def __init__(
        self, inner: httpx.AsyncBaseTransport | None = None, *, allowlist: Collection[str] = ()
    ) -> None:
        self._inner = inner if inner is not None else AiohttpTransport()
        self._allowlist = tuple(allowlist)
        # A mistyped allowlist fails when the transport is built, not at the first delivery.
        _networks(self._allowlist)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        scheme = request.url.scheme
        if scheme not in DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(
                f"only http and https URLs are sent to, not {scheme!r}", request=request
            )
        host = request.url.raw_host.decode("ascii")
        literal = _literal(host)
        if literal is not None:  # nothing to resolve: checked, and sent as it is
            _check(literal, self._allowlist)
            return await self._inner.handle_async_request(request)
        port = request.url.port or DEFAULT_PORTS[scheme]
        # The resolver runs outside httpx, so the connect timeout would not bound a slow DNS answer.
        timeout = request.extensions.get("timeout", {}).get("connect")
        try:
            async with asyncio.timeout(timeout):
                addresses = await resolve_and_check(host, port, self._allowlist)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"resolving {host} timed out", request=request) from exc
        except OSError as exc:
            raise httpx.ConnectError(f"cannot resolve {host}: {exc}", request=request) from exc
        return await _send_pinned(self._inner, request, addresses)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _pinned(request: httpx.Request, address: str) -> httpx.Request:
    """A copy of `request` addressed to `address`, still naming its host in `Host` and TLS."""
    headers = request.headers.copy()
    if "host" not in headers:
        headers["Host"] = request.url.netloc.decode("ascii")
    extensions = dict(request.extensions)
    if request.url.scheme == "https":
        extensions.setdefault("sni_hostname", request.url.raw_host.decode("ascii"))
        # Pooled connections are keyed by scheme, address and port only, so a TLS connection verified
        # for one host name could be reused for another name on the same address without verifying
        # that name. One connection per https delivery keeps every certificate check.
        headers["Connection"] = "close"
    return httpx.Request(
        request.method,
        request.url.copy_with(host=address),
        headers=headers,
        stream=request.stream,
        extensions=extensions,
    )


async def _send_pinned(
    inner: httpx.AsyncBaseTransport, request: httpx.Request, addresses: list[str]
) -> httpx.Response:
    """Send `request` to the first of `addresses` that accepts a connection."""
    failure: httpx.ConnectError | None = None
    for address in addresses:
        try:
            return await inner.handle_async_request(_pinned(request, address))
        except httpx.ConnectError as exc:
            # Nothing was sent on a connection that was never made, so the next address may be tried;
            # this is what lets a host with an unreachable IPv6 address fall back to IPv4.
            exc.request = request
            failure = exc
    assert failure is not None  # resolve_and_check returns at least one address
    raise failure
