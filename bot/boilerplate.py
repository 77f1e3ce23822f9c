"""What re-publishers add around an article, recognised so the copy check can ignore it.

`strip(text)` returns the paragraphs that carry the article, with syndication trailers
("Read the full story at …", "The post … appeared first on …", "Dieser Artikel erschien
zuerst …"), a press release's tail (from its "About <Company>" section on: what every release
of the company repeats, contacts included), photo captions, subscription and newsletter plugs,
share bars, wire datelines ("LONDON (Reuters) - ") and credit lines, and scraping debris (a
bare domain, "Advertisement", a "Published: …" line) removed, and how many paragraphs were
dropped. The table is small on purpose: each pattern is a kind of line seen on real
re-published pages, in several languages.
"""

from __future__ import annotations

import re

_LINE_PATTERNS = [
    # syndication trailers
    r"read (the )?(full|whole|complete|original|rest of the) (story|article|post)",
    r"(continue|keep) reading",
    r"(first|originally) (appeared|published) (on|in|at|by)",
    r"appeared first on",
    r"^(this|the) (story|article|post) (was|is) (originally |first )?(published|posted)",
    r"republished with permission",
    r"^\[?(…|\.\.\.)\]?\s*(read more|more)?$",
    r"^read more\b",
    r"click here",
    r"lesen sie (den|hier|mehr|weiter)",
    r"(dieser )?(artikel|beitrag) (erschien|ist) (zuerst|ursprünglich)",
    r"weiterlesen",
    r"(cet|l') ?article (est paru|a été publié|a paru)",
    r"lire la suite",
    r"(leia|leer|lea) (a matéria|más|la nota|mais)",
    r"continua a leggere|leggi (tutto|l'articolo)",
    r"続きを読む|全文を読む|記事を読む",
    r"阅读全文|閱讀全文|查看原文|原文链接|原文連結|點擊閱讀",
    r"기사 원문|전문 보기|원문 보기",
    # captions and credits
    r"^(image|photo|picture|video) ?(caption|credit)?\s*[:：]",
    r"\b(photo|photograph|image|picture)s?\s*[:：/]\s*\S",
    r"\((afp|reuters|ap|getty|epa|bloomberg)[^)]*\)\s*$",
    r"\b(via|/) ?(getty images|reuters|afp|ap photo|bloomberg)\b",
    r"^\(?(reporting|writing|additional reporting) by\b",
    r"\bediting by\b",
    # plugs and chrome
    r"\b(subscribe|sign up|newsletter|unlimited access|cancel anytime)\b",
    r"^(advertisement|anzeige|publicité|sponsored|most read|related|share|print)\b",
    r"share (on|this)\b|\bfacebook\b.*\btwitter\b",
    r"listen to this article",
    r"^©|all rights reserved|^copyright\b",
    r"^(published|updated|posted)\s*[:：]",
    r"^(www\.)?[\w-]+\.(com|net|org|co\.uk|de|fr)/?$",
]
_LINE = re.compile("|".join(f"(?:{p})" for p in _LINE_PATTERNS), re.IGNORECASE)
_DATELINE = re.compile(
    r"^[A-Z][A-Z .'-]{1,30},?( \w{3,9}\.? \d{1,2})? ?\((reuters|ap|afp|dpa|bloomberg|xinhua)\)"
    r"\s*[-–—]+\s*",
    re.IGNORECASE,
)
_WIRE_TITLE = re.compile(
    r"^(update \d+|refile|corrected|rpt|wrapup \d*|exclusive)\s*[-–:]\s*", re.I
)
MAX_BOILERPLATE_WORDS = 40  # a long paragraph that mentions "subscribe" is article text
# A press release's tail: an "About <Company>" section (a heading line, or "About X: ...")
# opens what every release of that company repeats (its description, contacts, safe-harbour
# text): from there on nothing tells one release from another. Case-sensitive: "About 40
# people were hurt." is article text.
_ABOUT = re.compile(
    r"^(?:About|Über|À propos d[e'u]|Acerca de|Sobre|Informazioni su) "
    r"(us|the [Cc]ompany|[A-Z0-9][\w&.'’-]*(?: (?:[A-Z0-9&][\w&.'’-]*|of|de|and|for|the))"
    r"{0,6})(?: \([^)]{1,40}\))?\s*(?::\s*(.*)|$)"
)


def clean_title(title: str) -> str:
    """A wire title without its 'UPDATE 1-' / 'REFILE-' / 'CORRECTED-' prefix."""
    return _WIRE_TITLE.sub("", title.strip())


_TRIGGERS = frozenset(
    {
        "read",
        "reading",
        "appeared",
        "published",
        "posted",
        "originally",
        "republished",
        "click",
        "lesen",
        "artikel",
        "beitrag",
        "weiterlesen",
        "erschien",
        "article",
        "lire",
        "paru",
        "publié",
        "leia",
        "leer",
        "lea",
        "matéria",
        "continua",
        "leggi",
        "photo",
        "photos",
        "photograph",
        "image",
        "picture",
        "video",
        "caption",
        "credit",
        "afp",
        "reuters",
        "ap",
        "getty",
        "epa",
        "bloomberg",
        "reporting",
        "writing",
        "editing",
        "subscribe",
        "sign",
        "newsletter",
        "unlimited",
        "cancel",
        "anytime",
        "advertisement",
        "anzeige",
        "publicité",
        "sponsored",
        "related",
        "share",
        "print",
        "facebook",
        "listen",
        "rights",
        "copyright",
        "updated",
    }
)
_WORD = re.compile(r"\w+")
_NON_ASCII_SCRIPT = re.compile(r"[\u3000-\u9fff\uac00-\ud7af©\[…]")


def _release_tail(paragraph: str, lines: list[str], after: int) -> bool:
    """Does `paragraph` open a release's "About" section? Its description (after the colon,
    or the next paragraph: `lines` from index `after`) starts with the company's name, "We"
    or "The company"; a subheading such as "About Chips Act funding" followed by article text
    does not."""
    about = _ABOUT.match(paragraph)
    if about is None:
        return False
    name, inline = about.group(1), about.group(2)
    # (the following lines are read only once "About ..." matched)
    description = inline or next((a.strip() for a in lines[after:] if a.strip()), "")
    generic = ("We ", "The company", "The Company")
    first = name.split()[0]
    return description.startswith(generic if first in ("us", "the") else (first, *generic))


def is_boilerplate(paragraph: str) -> bool:
    words = paragraph.split(maxsplit=MAX_BOILERPLATE_WORDS)  # (a longer one is no furniture)
    if not words:
        return True
    if len(words) > MAX_BOILERPLATE_WORDS:
        return False
    if (
        len(words) > 2
        and _TRIGGERS.isdisjoint(_WORD.findall(paragraph.lower()))
        and not _NON_ASCII_SCRIPT.search(paragraph)
    ):
        return False  # none of the words any pattern needs: skip the long alternation
    return bool(_LINE.search(paragraph))


def strip(text: str) -> tuple[list[str], int]:
    """(article paragraphs, paragraphs dropped as boilerplate)."""
    kept: list[str] = []
    dropped = 0
    lines = text.split("\n")
    for n, raw in enumerate(lines):
        paragraph = raw.strip()
        if not paragraph:
            continue
        if kept and _release_tail(paragraph, lines, n + 1):  # (an anchored match: cheap)
            return kept, dropped + sum(1 for rest in lines[n:] if rest.strip())
        if is_boilerplate(paragraph):
            dropped += 1
            continue
        kept.append(_DATELINE.sub("", paragraph) if "(" in paragraph else paragraph)
    return kept, dropped
