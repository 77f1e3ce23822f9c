"""Canonical URLs and story identity.

`canonical_url(url)` makes the forms one article's address takes across feeds compare equal:
scheme unified to https, host lower-cased without `www.` and default ports, fragment dropped,
tracking parameters removed, the rest of the query sorted, and known wrappers unwrapped
(Google redirect links, FeedBurner's `origLink` is passed in by the parser).

`story_key(...)` follows DESIGN's identity rule, in this order:
    1. a GUID that is not a URL, prefixed by the feed's identity ("1" collides across feeds)
    2. the canonical URL of the link (or of a GUID that is a URL when there is no link)
    3. a hash of title + link
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|yclid|mc_cid|mc_eid|igshid|_ga|_gl|ocid|icid|cmpid|"
    r"cid|ref|ref_src|ref_url|referrer|source|src|smid|smtyp|sr_share|share|s_cid|spm|"
    r"__twitter_impression|guccounter|guce_referrer\w*|ito|at_medium|at_campaign|wt\.mc_id|"
    r"rss|feed|from|via|cmp|CMP|mod|taid|WT\.\w+|trk|partner|camp|xtor)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_URL_IN_BYTES = re.compile(rb"https?://[\x21-\x7e]+")


def is_url(text: str) -> bool:
    """An http(s) URL with a host and a valid port (urlsplit raises on ports like 99999)."""
    try:
        parts = urlsplit(text.strip())
        parts.port  # noqa: B018  (raises ValueError when out of range)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def domain(url: str) -> str:
    """'https://www.scmp.com/news/x' -> 'scmp.com' ('' for a non-URL)."""
    try:
        host = (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:  # an unbalanced "[" in the host
        return ""
    return host.removeprefix("www.")


def unwrap(url: str) -> str:
    """Follow known redirect wrappers offline: google.com/url?q=, news.google.com/rss/articles."""
    if not is_url(url):
        return url
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host.endswith("google.com") and parts.path == "/url":
        params = dict(parse_qsl(parts.query))
        target = params.get("url") or params.get("q")
        if target and is_url(target):
            return target
    if host == "news.google.com" and "/articles/" in parts.path:
        token = parts.path.rsplit("/", 1)[-1]
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except ValueError:
            return url
        found = _URL_IN_BYTES.search(raw)
        if found:  # the older token format embeds the article URL; newer ones are opaque
            return found.group(0).decode("ascii")
    return url


def canonical_url(url: str) -> str:
    """The comparable form of a URL ('' for anything that is not an http(s) URL)."""
    url = unwrap(url.strip())
    if not is_url(url):
        return ""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = parts.port if parts.port and parts.port != _DEFAULT_PORTS.get(parts.scheme) else None
    netloc = f"{host}:{port}" if port else host
    path = quote(unquote(parts.path), safe="/%:@!$&'()*+,;=~-._") or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k)
    )
    return urlunsplit(("https", netloc, path, urlencode(query), ""))


def story_key(*, feed_identity: str, guid: str, link: str, title: str) -> str:
    guid = guid.strip()
    if guid and not is_url(guid):
        return f"{feed_identity}#{guid}"
    canonical = canonical_url(link) or canonical_url(guid)
    if canonical:
        return canonical
    digest = hashlib.sha256(f"{title.strip()}\n{link.strip()}".encode()).hexdigest()[:24]
    return f"{feed_identity}#sha256:{digest}"
