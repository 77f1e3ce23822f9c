"""Which addresses `fetch` may use: `target` for every feed, the guard for feeds added from Slack.

`target` parses an address (or a redirect's Location, `redirect_target`) once, as httpx will
request it: only http(s), a host that is an IP literal or a DNS name, a port in 1-65535;
anything else is a FetchError, never a ValueError or httpx.InvalidURL escaping `fetch`.

The guard: resolve once, vet every answer, connect there.

A guard that resolves a host and then lets the HTTP client resolve it again can be walked
around: the second DNS answer may differ (DNS rebinding: public first, 127.0.0.1 next), and
the two resolutions may not even ask for the same name (Python's `idna` codec maps `ß` to `ss`,
httpx's IDNA 2008 encoder to `xn--zca`). So `vet` takes the host exactly as httpx will send it
(`URL.raw_host`, already IDNA-encoded by httpx with the `idna` package), resolves it once with
the given resolver, refuses the whole host if any answer is not public, and returns the address
to use; `pin` turns the request into one for that literal address, with the `Host` header and
the TLS SNI / certificate check still naming the host (httpcore's `sni_hostname` extension).
Nothing resolves the name a second time.

Not public: private, loopback, link-local, shared (100.64/10), reserved, multicast, unspecified,
IPv6 outside 2000::/3, and IPv6 forms that carry an IPv4 address, judged by that IPv4:
IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`,
NAT64 `64:ff9b::a.b.c.d` (the local-use 64:ff9b:1::/48 is refused outright), 6to4 `2002:…`
and Teredo `2001:0::/32` (server and client). Hosts in `[limits] allow_private` skip the guard.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from bot.errors import FetchError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]  # (ASCII host, port) -> IP address strings
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", re.IGNORECASE)

_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_CARRY_LOW_32 = (  # the IPv4 address is the last 32 bits
    ipaddress.IPv6Network("64:ff9b::/96"),  # NAT64 well-known prefix
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible (deprecated)
    ipaddress.IPv6Network("::ffff:0:0:0/96"),  # IPv4-translated (SIIT)
)


def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answers for `host` (one `getaddrinfo`, TCP)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to (mapped, compatible, NAT64, 6to4, Teredo)."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if any(address in network for network in _CARRY_LOW_32):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return False
        inner = embedded_ipv4(address)
        if inner:
            return all(is_public(ipv4) for ipv4 in inner)
        if address not in _GLOBAL_UNICAST or address.is_site_local:
            return False
    return address.is_global and not (address.is_multicast or address.is_reserved)


def vet(
    url: httpx.URL, allow: Sequence[str], resolve: Resolver, *, feed_url: str
) -> Address | None:
    """The public address to connect to for `url`; None when its host is allow-listed."""
    host = url.raw_host.decode("ascii")
    if host.lower() in {entry.lower().strip("[]") for entry in allow} or url.host in allow:
        return None
    literal = _literal(host)
    if literal is not None:
        answers: list[Address] = [literal]
    else:
        port = url.port or (443 if url.scheme == "https" else 80)
        answers = _resolve(host, port, resolve, feed_url)
        if not answers:
            raise _unresolved(feed_url, host)
    for address in answers:
        if not is_public(address):
            raise FetchError(
                f"{feed_url}: {host} resolves to a non-public address ({address})",
                hint="feeds added from Slack must be on the public internet; "
                "an administrator can add this one in the config file",
            )
    return answers[0]


def pin(url: httpx.URL, address: Address) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """The request for `url` sent to `address`: (URL, extra headers, extensions)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # the IPv4 it stands for; no IPv6 socket needed
    literal = f"[{address}]" if address.version == 6 else str(address)
    headers = {"Host": url.netloc.decode("ascii")}
    return url.copy_with(host=literal), headers, {"sni_hostname": url.raw_host.decode("ascii")}


def check_public(
    url: str, allow: Sequence[str] = (), resolve: Resolver = system_resolver
) -> Address | None:
    """`vet` for an address given as text (a FetchError when it is malformed)."""
    return vet(target(url, url), allow, resolve, feed_url=url[:200])


def target(address: str, feed_url: str) -> httpx.URL:
    """`address` parsed as httpx will request it (non-ASCII hosts IDNA-encoded as httpx does),
    or a FetchError saying what is wrong: not http(s), no host, not a DNS name, bad port."""
    shown = address if len(address) <= 200 else address[:200] + "…"
    try:
        parsed = httpx.URL(address)
        port = parsed.port
    except (httpx.InvalidURL, ValueError, UnicodeError, TypeError) as exc:
        raise _bad_address(feed_url, shown, _first_line(exc)) from None
    if parsed.scheme not in ("http", "https"):
        raise FetchError(
            f"{feed_url}: redirected to a non-HTTP address {shown!r}",
            hint="fix the feed URL in the config",
        )
    if not parsed.raw_host:
        raise _bad_address(feed_url, shown, "no host")
    if not _valid_host(parsed.raw_host.decode("ascii")):
        raise _bad_address(feed_url, shown, "not a valid host name")
    if port is not None and not 0 < port < 65536:
        raise _bad_address(feed_url, shown, f"port {port} is out of range")
    return parsed


def _valid_host(host: str) -> bool:
    """An IP literal, or a DNS name: labels of 1-63 letters, digits, '-' or '_', 253 at most."""
    if ":" in host:
        return True  # an IPv6 literal, checked by httpx
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    return len(host) <= 254 and all(_LABEL.fullmatch(label) for label in labels)


def redirect_target(feed_url: str, current: httpx.URL, location: str) -> httpx.URL:
    """Where a redirect's Location leads from `current`, checked like `target`."""
    try:
        joined = str(current.join(location))
    except (httpx.InvalidURL, ValueError, UnicodeError, TypeError) as exc:
        shown = location if len(location) <= 200 else location[:200] + "…"
        raise _bad_address(feed_url, shown, _first_line(exc)) from None
    return target(joined, feed_url)


def _bad_address(feed_url: str, address: str, reason: str) -> FetchError:
    return FetchError(
        f"{feed_url}: invalid address {address!r} ({reason})",
        hint="the feed (or a redirect on the way) names an address that cannot be fetched; "
        "check the feed URL",
    )


def _first_line(exc: Exception) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0][:200]


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _resolve(host: str, port: int, resolve: Resolver, feed_url: str) -> list[Address]:
    try:
        return [ipaddress.ip_address(answer.split("%", 1)[0]) for answer in resolve(host, port)]
    except (OSError, UnicodeError, ValueError):
        raise _unresolved(feed_url, host) from None


def _unresolved(feed_url: str, host: str) -> FetchError:
    return FetchError(
        f"{feed_url}: the host name {host!r} does not resolve",
        hint="check the spelling of the address",
    )
