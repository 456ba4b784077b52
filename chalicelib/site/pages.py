"""The public site's files as text: an alert's page (and the page it becomes when it ends), the index, active.json.

Every page is self-contained (its style and its one script inline, allowed by hash in its Content-Security-Policy)
and readable without JavaScript: it is served as it is from the bucket, read on phones in a hurry, and shared.
Nothing here reads or writes anything; the web channel gathers the links and stores what these functions return.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from html import escape
from importlib.resources import files
from urllib.parse import quote, urlsplit

from chalicelib.channels.base import CARD_SIZE
from chalicelib.channels.texts import ending
from chalicelib.links import Language
from chalicelib.models.alert import Alert, LocalizedHeadline, LocalizedInstruction
from chalicelib.wording import ENDINGS, LANGUAGES, LEVEL_TITLES

# The index of each language, relative to an audience's site root (named in full: CloudFront serves a folder's
# index.html only at the very root, and the sandbox index lies in a folder).
INDEX_FILES: dict[Language, str] = {"nl": "index.html", "en": "index.en.html"}
ACTIVE_FILE = "active.json"
WIDGET_FILE = "widget.js"

# The site's own words; the names of levels and endings are the service's (chalicelib.wording).
TEXTS: dict[str, dict[Language, str]] = {
    "language_name": {"nl": "Nederlands", "en": "English"},
    "photo_alt": {"nl": "Foto van {name}", "en": "Photo of {name}"},
    "age": {"nl": "{age} jaar", "en": "{age} years old"},
    "details": {"nl": "Signalement", "en": "Details"},
    "age_label": {"nl": "Leeftijd", "en": "Age"},
    "description_label": {"nl": "Beschrijving", "en": "Description"},
    "last_seen": {"nl": "Laatst gezien", "en": "Last seen"},
    "last_seen_in": {"nl": "Laatst gezien: {place}", "en": "Last seen: {place}"},
    "call": {"nl": "Zie je {name}? Bel direct {emergency}", "en": "Do you see {name}? Call {emergency} now"},
    "contact": {"nl": "Heb je informatie? Bel {phone}.", "en": "Any information? Call {phone}."},
    "share": {"nl": "Deel deze oproep", "en": "Share this alert"},
    "share_whatsapp": {"nl": "Deel via WhatsApp", "en": "Share on WhatsApp"},
    "share_x": {"nl": "Deel via X", "en": "Share on X"},
    "share_facebook": {"nl": "Deel via Facebook", "en": "Share on Facebook"},
    "share_email": {"nl": "Deel via e-mail", "en": "Share by email"},
    "page_link": {"nl": "Link naar deze oproep:", "en": "Link to this alert:"},
    "copy": {"nl": "Kopieer de link", "en": "Copy the link"},
    "copied": {"nl": "De link is gekopieerd.", "en": "The link has been copied."},
    "updated": {"nl": "Bijgewerkt: {time}", "en": "Updated: {time}"},
    "cap": {
        "nl": "Deze oproep als CAP-bericht (XML, voor systemen)",
        "en": "This alert as a CAP message (XML, for systems)",
    },
    "index_link": {"nl": "Alle vermiste kinderen", "en": "All missing children"},
    "about": {
        "nl": "{service} is een dienst van de politie en Burgernet.",
        "en": "{service} is a service of the Dutch police and Burgernet.",
    },
    "ended": {
        "nl": "De oproep is beëindigd: u hoeft niet meer uit te kijken.",
        "en": "The alert has ended: you no longer need to look out.",
    },
    "thanks": {
        "nl": "Dank aan iedereen die heeft uitgekeken en de oproep heeft gedeeld.",
        "en": "Thank you to everyone who looked out and shared the alert.",
    },
    "privacy": {
        "nl": "Heeft u de oproep gedeeld? Haal uw bericht dan weg: zo beschermt u de privacy van het kind.",
        "en": "Did you share the alert? Please remove your post: that protects the child's privacy.",
    },
    "index_title": {"nl": "Vermiste kinderen", "en": "Missing children"},
    "index_description": {
        "nl": "De kinderen die nu vermist zijn: de officiële oproepen van de politie.",
        "en": "The children missing right now: the official alerts of the Dutch police.",
    },
    "none": {"nl": "Er zijn nu geen vermiste kinderen.", "en": "No children are missing right now."},
    "view": {"nl": "Bekijk de oproep", "en": "View the alert"},
    "time": {
        "nl": "{weekday} {day} {month} {year}, {clock}",
        "en": "{weekday} {day} {month} {year}, {clock} (Dutch time)",
    },
}
# The banner on every page of an exercise or test alert, and on the sandbox site's index: a label and a sentence.
SANDBOX_BANNERS: dict[str, dict[Language, tuple[str, str]]] = {
    "exercise": {
        "nl": ("OEFENING", "Dit is een oefening. Er is geen kind vermist."),
        "en": ("EXERCISE", "This is an exercise. No child is missing."),
    },
    "test": {
        "nl": ("TEST", "Dit is een test. Er is geen kind vermist."),
        "en": ("TEST", "This is a test. No child is missing."),
    },
    "site": {
        "nl": ("TESTOMGEVING", "De oproepen hier zijn oefeningen en tests. Er is geen kind vermist."),
        "en": ("TEST SITE", "The alerts here are exercises and tests. No child is missing."),
    },
}
# The statuses that are not the real thing: exercise and test alerts.
STATUSES = ("exercise", "test")
WEEKDAYS: dict[Language, tuple[str, ...]] = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS: dict[Language, tuple[str, ...]] = {
    "nl": (
        "januari", "februari", "maart", "april", "mei", "juni",
        "juli", "augustus", "september", "oktober", "november", "december",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip
OG_LOCALES: dict[Language, str] = {"nl": "nl_NL", "en": "en_GB"}
# The feed rendition fits 800x800 and photos are mostly portrait: the box kept free until the photo arrives.
PHOTO_BOX = (640, 800)

# Every colour pair passes WCAG 2.1 AA for text (4.5:1); the light level colours of the visuals do not on white,
# so «vermist kind» is darker here. A rule that sets a colour sets its background too, or lies on white.
CSS = "".join(
    (
        "*{box-sizing:border-box}",
        "body{margin:0;font:1.0625rem/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;"
        "color:#1a1a1a;background:#fff;overflow-wrap:break-word}",
        ".wrap{max-width:40rem;margin:0 auto;padding:0 1rem}",
        "header{color:#fff;background:#c8102e}",
        "header.vermist_kind{color:#fff;background:#a84c00}",
        "header .wrap{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;"
        "gap:.5rem 1rem;padding-top:.75rem;padding-bottom:.75rem}",
        "header a{color:inherit}",
        ".level{margin:0;font-size:1.25rem;font-weight:700;letter-spacing:.03em}",
        ".sandbox{margin:0;padding:.75rem 1rem;color:#111;background:#ffd100;text-align:center}",
        "h1{font-size:2rem;line-height:1.2;margin:1.25rem 0 .5rem}",
        "h2{font-size:1.25rem;line-height:1.3;margin:1.75rem 0 .5rem}",
        ".lead{font-size:1.125rem;margin:0 0 1rem}",
        # At most 60 % of the screen's height: on a desktop or a phone held sideways the call to action shows at once.
        ".photo{display:block;width:100%;height:auto;max-height:60vh;object-fit:contain;object-position:left;"
        "margin:1rem 0}",
        ".call{margin:1.5rem 0;padding:.25rem 0 .25rem 1rem;border-left:.5rem solid #c8102e}",
        ".call h2{margin-top:.5rem}",
        "dl{margin:0}dt{font-weight:700}dd{margin:0 0 .75rem}",
        "a{color:#0b57d0}",
        "a:focus-visible,button:focus-visible{outline:3px solid currentColor;outline-offset:2px}",
        ".share{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.5rem}",
        ".share a,.copy{display:inline-block;padding:.5rem .75rem;border:2px solid #0b57d0;border-radius:.25rem;"
        "font:inherit;color:#0b57d0;background:#fff;text-decoration:none;cursor:pointer}",
        ".url{word-break:break-all}",
        ".meta{font-size:.9375rem;color:#595959;background:#fff}",
        "footer{margin-top:2rem;border-top:1px solid #ccc}",
        "footer .wrap{padding-top:.5rem;padding-bottom:1.5rem}",
        ".alerts{list-style:none;margin:0;padding:0}",
        ".alerts li{display:flex;gap:1rem;padding:1rem 0;border-bottom:1px solid #ccc}",
        ".alerts img{flex:none;width:6rem;height:7.5rem;object-fit:cover}",
        ".alerts h2{margin:0 0 .25rem}",
        ".alerts p{margin:0}",
        # A flex item is as wide as its longest word unless told otherwise: a long name would widen the page.
        ".alerts li>div{min-width:0}",
        "[hidden]{display:none!important}",
    )
)
# The «copy link» button: hidden without JavaScript (the link stays, visible, to copy by hand). Constant text, so
# that one hash in the policy allows it; what it shows comes from the page.
COPY_SCRIPT = (
    "(function(){var b=document.getElementById('copy'),s=document.getElementById('copied'),"
    "l=document.getElementById('page-link');if(!b||!navigator.clipboard)return;b.hidden=false;"
    "b.addEventListener('click',function(){navigator.clipboard.writeText(l.href).then(function(){"
    "s.textContent=b.getAttribute('data-done')})})})();"
)


@dataclass(frozen=True)
class PageLinks:
    """The absolute addresses one alert page links to."""

    site: str
    page: str
    other_language: str
    cap: str
    photo: str | None
    card: str | None


@dataclass(frozen=True)
class Listed:
    """One active alert as the index, active.json and the widget show it."""

    id: str
    level: str
    status: str
    name: str
    age: int | None
    headline: str
    place: str
    page: str
    photo: str | None
    updated: str


# The alert page.


def alert_page(alert: Alert, language: Language, links: PageLinks) -> str:
    """The alert's public page in ``language``: the photo, who to look for, where, whom to call, how to share."""
    headline, _ = _localized(alert.headline, language)
    title = _titled(alert.status, language, f"{LEVEL_TITLES[alert.level][language]}: {headline}")
    instruction, _ = _localized(alert.instruction, language)
    head = [
        *_alternates(links.page, links.other_language, language),
        *_social_meta(title, _summary(f"{headline} — {instruction}"), links.page, language),
        *_image_meta(links, TEXTS["photo_alt"][language].format(name=alert.child.name)),
    ]
    body = [
        _header(alert.level, alert.status, language, links.other_language),
        f'<main class="wrap">\n{_alert_main(alert, language, links)}</main>\n',
        _footer(language, links.site, links.cap),
        f"<script>{COPY_SCRIPT}</script>\n",
    ]
    policy = _policy([links.site, *([links.photo] if links.photo else [])], script=True)
    return _document(language, title, policy, _robots(alert.status) + head, "".join(body))


def _alert_main(alert: Alert, language: Language, links: PageLinks) -> str:
    headline, headline_language = _localized(alert.headline, language)
    name = alert.child.name
    photo = ""
    if links.photo:
        alt = _h(TEXTS["photo_alt"][language].format(name=name))
        width, height = PHOTO_BOX
        photo = f'<img class="photo" src="{_h(links.photo)}" alt="{alt}" width="{width}" height="{height}">\n'
    return "".join(
        (
            f"<h1>{_bdi(name)}</h1>\n",
            f'<p class="lead"{_lang(headline_language, language)}>{_h(headline)}</p>\n',
            photo,
            _call(alert, language),
            f"<h2>{TEXTS['details'][language]}</h2>\n",
            _details(alert, language),
            _sharing(alert, language, links.page),
            f'<p class="meta">{TEXTS["updated"][language].format(time=_time(alert.updated_at, language))}</p>\n',
        )
    )


def _call(alert: Alert, language: Language) -> str:
    instruction, instruction_language = _localized(alert.instruction, language)
    call = TEXTS["call"][language].format(name=_bdi(alert.child.name), emergency='<a href="tel:112">112</a>')
    phone = alert.contact.phone
    dial = "".join(char for char in phone if char.isdigit() or char == "+")
    contact = TEXTS["contact"][language].format(phone=f'<a href="tel:{_h(dial)}">{_h(phone)}</a>')
    return (
        f'<section class="call" aria-labelledby="call">\n<h2 id="call">{call}</h2>\n'
        f"<p{_lang(instruction_language, language)}>{_paragraph(instruction)}</p>\n<p>{contact}</p>\n</section>\n"
    )


def _details(alert: Alert, language: Language) -> str:
    rows: list[tuple[str, str]] = []
    if alert.child.age is not None:
        rows.append((TEXTS["age_label"][language], _h(TEXTS["age"][language].format(age=alert.child.age))))
    if alert.child.description:
        # Burgernet writes the description in Dutch only.
        text = _paragraph(alert.child.description)
        rows.append((TEXTS["description_label"][language], f"<span{_lang('nl', language)}>{text}</span>"))
    seen = alert.last_seen
    rows.append((TEXTS["last_seen"][language], f"{_bdi(seen.place)}<br>{_time(seen.at, language)}"))
    return "<dl>\n" + "".join(f"<dt>{label}</dt><dd>{value}</dd>\n" for label, value in rows) + "</dl>\n"


def _sharing(alert: Alert, language: Language, page: str) -> str:
    headline, _ = _localized(alert.headline, language)
    shares = share_links(page, headline, f"{LEVEL_TITLES[alert.level][language]}: {headline}")
    items = "".join(f'<li><a href="{_h(url)}">{TEXTS[key][language]}</a></li>\n' for key, url in shares.items())
    done = _h(TEXTS["copied"][language])
    return (
        f'<h2>{TEXTS["share"][language]}</h2>\n<ul class="share">\n{items}</ul>\n'
        f'<p>{TEXTS["page_link"][language]} <a class="url" id="page-link" href="{_h(page)}">{_h(page)}</a></p>\n'
        f'<p><button class="copy" type="button" id="copy" data-done="{done}" hidden>{TEXTS["copy"][language]}'
        '</button> <span id="copied" role="status"></span></p>\n'
    )


def share_links(page: str, text: str, subject: str) -> dict[str, str]:
    """The plain share links (no platform script), keyed by their wording in TEXTS; every parameter URL-encoded."""
    message = f"{text}\n\n{page}"
    return {
        "share_whatsapp": f"https://wa.me/?text={_q(message)}",
        "share_x": f"https://x.com/intent/post?url={_q(page)}&text={_q(text)}",
        "share_facebook": f"https://www.facebook.com/sharer/sharer.php?u={_q(page)}",
        "share_email": f"mailto:?subject={_q(subject)}&body={_q(message)}",
    }


# The page once the alert has ended: nothing of the child, only how it ended.


def ended_page(alert: Alert, language: Language, links: PageLinks) -> str:
    """What the alert's page becomes when it ends: how it ended and thanks; no name, photo, place or headline."""
    reason = ending(alert)
    label, sentence = ENDINGS[reason][language]
    title = _titled(alert.status, language, f"{LEVEL_TITLES[alert.level][language]}: {label}")
    head = [
        *_alternates(links.page, links.other_language, language),
        *_social_meta(title, sentence, links.page, language),
        _meta("name", "twitter:card", "summary"),
    ]
    # The found sentence thanks already.
    thanks = "" if reason == "found" else f"<p>{TEXTS['thanks'][language]}</p>\n"
    main = (
        f"<h1>{label}</h1>\n<p>{sentence}</p>\n<p>{TEXTS['ended'][language]}</p>\n{thanks}"
        f"<p>{TEXTS['privacy'][language]}</p>\n"
    )
    body = (
        _header(alert.level, alert.status, language, links.other_language)
        + f'<main class="wrap">\n{main}</main>\n'
        + _footer(language, links.site, None)
    )
    # Never indexed: search engines drop the address, and with it any old snippet that named the child.
    return _document(language, title, _policy([], script=False), [_ROBOTS_NONE, *head], body)


# The index, active.json and the widget.


def listed(alert: Alert, page: str, photo: str | None) -> Listed:
    """The alert as the index and active.json list it; ``page`` is its Dutch page, ``photo`` its photo's URL."""
    return Listed(
        id=alert.id,
        level=alert.level,
        status=alert.status,
        name=alert.child.name,
        age=alert.child.age,
        headline=alert.headline.nl,
        place=alert.last_seen.place,
        page=page,
        photo=photo,
        updated=utc_text(alert.updated_at),
    )


def index_page(alerts: list[Listed], language: Language, sandbox: bool, site: str) -> str:
    """The site's front page in ``language``: every active alert, newest first, or that no child is missing."""
    title = TEXTS["index_title"][language]
    other: Language = "en" if language == "nl" else "nl"
    page, other_page = index_url(site, language), index_url(site, other)
    head = [
        *_alternates(page, other_page, language),
        *_social_meta(title, TEXTS["index_description"][language], page, language),
    ]
    if sandbox:
        head.insert(0, _ROBOTS_NONE)
    items = "".join(_index_item(item, language) for item in _newest_first(alerts))
    listing = f'<ul class="alerts">\n{items}</ul>\n' if items else f"<p>{TEXTS['none'][language]}</p>\n"
    body = (
        _header("kind_alarm", "site" if sandbox else "actual", language, other_page)
        + f'<main class="wrap">\n<h1>{title}</h1>\n{listing}</main>\n'
        + _footer(language, None, None)
    )
    images = [site, *(item.photo for item in alerts if item.photo)]
    return _document(language, title, _policy(images, script=False), head, body)


def _index_item(item: Listed, language: Language) -> str:
    photo = ""
    if item.photo:
        alt = _h(TEXTS["photo_alt"][language].format(name=item.name))
        photo = f'<img src="{_h(item.photo)}" alt="{alt}" width="96" height="120">'
    page = item.page if language == "nl" else _english(item.page)
    facts = [LEVEL_TITLES[item.level][language] if item.level in LEVEL_TITLES else ""]
    if item.status in SANDBOX_BANNERS:
        facts.append(SANDBOX_BANNERS[item.status][language][0])
    if item.age is not None:
        facts.append(TEXTS["age"][language].format(age=item.age))
    place = TEXTS["last_seen_in"][language].format(place=_bdi(item.place))
    return (
        f'<li>{photo}<div><h2><a href="{_h(page)}">{_bdi(item.name)}</a></h2>\n'
        f"<p>{_h(' · '.join(fact for fact in facts if fact))}</p>\n<p>{place}</p></div></li>\n"
    )


def active_document(alerts: list[Listed], sandbox: bool, updated: str) -> bytes:
    """site/active.json (or sandbox/active.json): the active alerts, newest first, for the widget and partners."""
    document = {"updated": updated, "sandbox": sandbox, "alerts": [asdict(item) for item in _newest_first(alerts)]}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


@lru_cache(maxsize=1)
def widget_script() -> bytes:
    """widget.js as partners load it: the site's wording filled in, indentation and line comments left out."""
    source = files(__package__ or "chalicelib.site").joinpath(WIDGET_FILE).read_text(encoding="utf-8")
    lines = (line.strip() for line in source.replace("/*WORDS*/{}", _widget_words()).splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//")).encode() + b"\n"


def _widget_words() -> str:
    words = {
        "levels": LEVEL_TITLES,
        "statuses": {status: {lang: SANDBOX_BANNERS[status][lang][0] for lang in LANGUAGES} for status in STATUSES},
        **{key: TEXTS[key] for key in ("index_title", "photo_alt", "age", "last_seen_in", "view")},
    }
    return json.dumps(words, ensure_ascii=False, separators=(",", ":"))


def index_url(site: str, language: Language) -> str:
    """The index in ``language`` of the audience whose root is ``site``."""
    return f"{site.rstrip('/')}/{INDEX_FILES[language]}"


def utc_text(moment: datetime) -> str:
    """ISO 8601 in UTC to the second, with «Z»: how active.json and the pages' machine-readable times write time."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _newest_first(alerts: list[Listed]) -> list[Listed]:
    return sorted(alerts, key=lambda item: datetime.fromisoformat(item.updated), reverse=True)


def _english(page: str) -> str:
    # The English page lies beside the Dutch one (chalicelib.links.page_path).
    return page.removesuffix(".html") + ".en.html"


# Time on the Dutch clock, for people.


def amsterdam_time(moment: datetime) -> datetime:
    """``moment`` on the clock of the Netherlands: CET, and CEST from the last Sunday of March to that of October.

    The EU rule (both changes at 01:00 UTC) in code rather than the tz database: Lambda's runtimes need not carry
    /usr/share/zoneinfo, and tzdata is no dependency of the functions.
    """
    utc = moment.astimezone(timezone.utc)
    summer = _last_sunday_0100_utc(utc.year, 3) <= utc < _last_sunday_0100_utc(utc.year, 10)
    return utc.astimezone(timezone(timedelta(hours=2 if summer else 1)))


def _last_sunday_0100_utc(year: int, month: int) -> datetime:
    last_day = datetime(year, month, 31, 1, tzinfo=timezone.utc)  # March and October both have 31 days
    return last_day - timedelta(days=(last_day.weekday() + 1) % 7)


def people_time(moment: datetime, language: Language) -> str:
    """«zaterdag 28 november 2026, 14:05»: the Dutch clock, written out."""
    local = amsterdam_time(moment)
    return TEXTS["time"][language].format(
        weekday=WEEKDAYS[language][local.weekday()],
        day=local.day,
        month=MONTHS[language][local.month - 1],
        year=local.year,
        clock=f"{local:%H:%M}",
    )


def _time(moment: datetime, language: Language) -> str:
    return f'<time datetime="{utc_text(moment)}">{_h(people_time(moment, language))}</time>'


# The page's frame: document, head, header and footer.

_ROBOTS_NONE = '<meta name="robots" content="noindex, nofollow">'


def _document(language: Language, title: str, policy: str, head: list[str], body: str) -> str:
    lines = "".join(f"{line}\n" for line in head)
    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_h(policy)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # An icon of its own, empty: a view asks the site for nothing but the page and its photo (no /favicon.ico).
        '<link rel="icon" href="data:,">\n'
        f"<title>{_h(title)}</title>\n{lines}<style>{CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )


def _policy(image_urls: list[str], script: bool) -> str:
    """Nothing but this page's own style (and script), and images from the site (and wherever its photos lie)."""
    images = " ".join(sorted({_origin(url) for url in image_urls})) or "'none'"
    directives = [
        "default-src 'none'",
        f"style-src {_hash(CSS)}",
        f"img-src {images}",
        *([f"script-src {_hash(COPY_SCRIPT)}"] if script else []),
        "base-uri 'none'",
        "form-action 'none'",
    ]
    return "; ".join(directives)


def _robots(status: str) -> list[str]:
    return [] if status == "actual" else [_ROBOTS_NONE]


def _alternates(page: str, other: str, language: Language) -> list[str]:
    pages = {language: page, ("en" if language == "nl" else "nl"): other}
    return [
        f'<link rel="canonical" href="{_h(page)}">',
        *(f'<link rel="alternate" hreflang="{lang}" href="{_h(pages[lang])}">' for lang in ("nl", "en")),
        f'<link rel="alternate" hreflang="x-default" href="{_h(pages["nl"])}">',
    ]


def _social_meta(title: str, description: str, url: str, language: Language) -> list[str]:
    other: Language = "en" if language == "nl" else "nl"
    return [
        _meta("name", "description", description),
        _meta("property", "og:type", "website"),
        _meta("property", "og:title", title),
        _meta("property", "og:description", description),
        _meta("property", "og:url", url),
        _meta("property", "og:locale", OG_LOCALES[language]),
        _meta("property", "og:locale:alternate", OG_LOCALES[other]),
    ]


def _image_meta(links: PageLinks, alt: str) -> list[str]:
    if links.card:
        width, height = CARD_SIZE
        return [
            _meta("property", "og:image", links.card),
            _meta("property", "og:image:width", str(width)),
            _meta("property", "og:image:height", str(height)),
            _meta("property", "og:image:alt", alt),
            _meta("name", "twitter:card", "summary_large_image"),
            _meta("name", "twitter:image", links.card),
            _meta("name", "twitter:image:alt", alt),
        ]
    if links.photo:
        return [
            _meta("property", "og:image", links.photo),
            _meta("property", "og:image:alt", alt),
            _meta("name", "twitter:card", "summary"),
            _meta("name", "twitter:image", links.photo),
            _meta("name", "twitter:image:alt", alt),
        ]
    return [_meta("name", "twitter:card", "summary")]


# What a search result or an unfolded link shows of the description: the rest is on the page.
SUMMARY_CHARACTERS = 200


def _summary(text: str) -> str:
    """``text`` cut after whole words to SUMMARY_CHARACTERS, with «…» where it was cut."""
    if len(text) <= SUMMARY_CHARACTERS:
        return text
    cut = text[: SUMMARY_CHARACTERS - 1].rsplit(" ", 1)[0]
    return f"{cut.rstrip()}…"


def _meta(attribute: str, key: str, content: str) -> str:
    return f'<meta {attribute}="{key}" content="{_h(content)}">'


def _header(level: str, status: str, language: Language, other_page: str) -> str:
    """The level's band with the other language's link, under the sandbox banner if ``status`` has one."""
    other: Language = "en" if language == "nl" else "nl"
    banner = ""
    if status in SANDBOX_BANNERS:
        label, sentence = SANDBOX_BANNERS[status][language]
        banner = f'<p class="sandbox"><strong>{label}</strong> {sentence}</p>\n'
    switch = f'<a href="{_h(other_page)}" hreflang="{other}" lang="{other}">{TEXTS["language_name"][other]}</a>'
    return (
        f'<header class="{level}">\n{banner}<div class="wrap"><p class="level">{LEVEL_TITLES[level][language]}</p>'
        f"{switch}</div>\n</header>\n"
    )


def _footer(language: Language, site: str | None, cap: str | None) -> str:
    lines = []
    if site is not None:
        lines.append(f'<p><a href="{_h(index_url(site, language))}">{TEXTS["index_link"][language]}</a></p>')
    if cap is not None:
        lines.append(f'<p><a href="{_h(cap)}" type="application/cap+xml">{TEXTS["cap"][language]}</a></p>')
    lines.append(f"<p>{TEXTS['about'][language].format(service=LEVEL_TITLES['kind_alarm'][language])}</p>")
    return '<footer>\n<div class="wrap">\n' + "\n".join(lines) + "\n</div>\n</footer>\n"


# Small helpers.


def _localized(texts: LocalizedHeadline | LocalizedInstruction, language: Language) -> tuple[str, Language]:
    """The text in ``language`` if the alert has it, else the Dutch one; and the language of what is returned."""
    if language == "en" and texts.en:
        return texts.en, "en"
    return texts.nl, "nl"


def _titled(status: str, language: Language, title: str) -> str:
    """An exercise or test page says so first, where a shared link's preview shows it."""
    return f"{SANDBOX_BANNERS[status][language][0]} – {title}" if status in SANDBOX_BANNERS else title


def _lang(text_language: Language, page_language: Language) -> str:
    return "" if text_language == page_language else f' lang="{text_language}"'


def _bdi(text: str) -> str:
    """Text of the alert inside running text, isolated so a right-to-left name cannot reorder what is around it."""
    return f"<bdi>{_h(text)}</bdi>"


def _paragraph(text: str) -> str:
    return "<br>".join(_h(line) for line in text.splitlines())


def _h(text: str) -> str:
    return escape(text, quote=True)


def _q(text: str) -> str:
    return quote(text, safe="")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _hash(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"
