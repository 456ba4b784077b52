"""The public site (issue 14): how big an alert's page is, what writing a version costs, what a view fetches.

Bytes: each page as the web channel renders it, without the photo, raw and gzip-compressed (level 6; CloudFront
compresses text for browsers that ask): the sample alert, an alert with every text at its maximum length in Dutch
letters (as tests/unit/test_site_pages.py makes it), the ended page, the index with 1 and 10 alerts. Target: under
30 KB raw, also for the most bytes valid texts can make: every text at its maximum length in the characters that
cost the page most (``"`` is 6 bytes as ``&quot;``; a 4-byte character is
12 in a URL, and the headline is in four share links).
Writing: the web channel's render and deliver (images, pages, index pages, active.json) of a new alert, an update
and a retraction, under moto in-process, medians of BENCH_RUNS interleaved runs (default 20); the baseline side by
side is the cap_feed channel (the other channel writing files to the same bucket) on the same alert versions.
The S3 requests of each delivery are counted (a botocore hook): in AWS each is a round trip of about 10-30 ms,
where moto answers in well under one, so the count is the figure that carries over.
Requests: every resource a browser would fetch for a page, read from its HTML (img, srcset, stylesheet, icon,
preload, manifest, script, url() in styles, iframe, media). Target: the alert page fetches its photo and nothing
else (the page itself is the first request); the ended page nothing; the index its alerts' photos.
Exits 1 when a page is over the target or fetches anything else.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import re
import statistics
import sys
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar, get_args

from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.alerts import lifecycle
from chalicelib.channels.base import Assets, Channel, Content
from chalicelib.channels.targets import OWN_AUDIENCES, PartnerTarget
from chalicelib.imaging.photo import process_photo
from chalicelib.links import Language, public_page
from chalicelib.models.alert import Alert, AlertCreate
from chalicelib.models.common import Headline, Name, Paragraph, Place
from chalicelib.models.validation import parse_model
from chalicelib.site.pages import index_page, listed
from devstack.samples import sample_alert

RUNS = int(os.environ.get("BENCH_RUNS", "20"))
TARGET_BYTES = 30 * 1024
LANGUAGES: tuple[Language, ...] = ("nl", "en")
SITE_URL = "https://kindalarm.burgernet.nl"
API_URL = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/api"
# An S3 request's round trip from Lambda in the same region, small objects (ms).
AWS_ROUND_TRIP_MS = (10, 30)
NOW = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)
# The longest phone number Phone's pattern admits (21 characters); Dutch words to fill the longest texts with.
LONGEST_PHONE = "+31 (0)20 1234 567 89"
DUTCH = "Maria-Louisa Anaïs Zoë Daniëlle van den Heuvel-Wolfeschlegelsteinhausen "


HEADER = """The public site (issue 14); the docstring says more.
Page bytes: each page's HTML as the web channel writes it, without the photo, raw and gzipped (CloudFront
  compresses); target under 30 KB raw for every page.
Writing a version: wall time of the web channel's render and its delivery (images, pages, index pages, active.json,
  CloudFront invalidation) against cap_feed's delivery of the same alert version, under moto in-process; and the
  S3 requests each delivery makes, which in AWS cost about 10-30 ms each (moto: well under 1 ms).
Requests a view makes: what a browser fetches for a page besides the page itself, read from its HTML; target: the
  alert page its photo only."""


# The alerts.


def longest(text_type: Any) -> int:
    """The maximum length of one of the models' text types (Name, Headline, ...), read from its constraints."""
    return min(getattr(part, "max_length", None) or sys.maxsize for part in get_args(text_type)[1:])


def filled(words: str, text_type: Any) -> str:
    """``words`` repeated to exactly the type's maximum length, ending on a letter (whitespace would be stripped)."""
    size = longest(text_type)
    return (words * size)[: size - 1] + "x"


def longest_body(words: str, headline_words: str | None = None) -> dict[str, Any]:
    """A create body with every text at its maximum length, made of ``words`` (the headline of ``headline_words``)."""
    headline = filled(headline_words or words, Headline)
    return sample_alert(
        child={"name": filled(words, Name), "age": 17, "description": filled(words, Paragraph)},
        headline={"nl": headline, "en": headline},
        instruction={"nl": filled(words, Paragraph), "en": filled(words, Paragraph)},
        last_seen={"at": "2026-11-28T13:05:00+00:00", "place": filled(words, Place)},
        contact={"phone": LONGEST_PHONE},
    )


def new_alert(body: dict[str, Any], at: datetime = NOW) -> Alert:
    return lifecycle.new_alert(parse_model(AlertCreate, body), str(uuid.uuid4()), at)


def updated(alert: Alert) -> Alert:
    description = "1,30 m, blond haar, rode jas, groene rugzak"
    content = lifecycle.patched_content(alert, {"child": {"description": description}})
    return lifecycle.revise(alert, content, alert.updated_at + timedelta(minutes=20))


def found(alert: Alert) -> Alert:
    return lifecycle.cancel(alert, "found", alert.updated_at + timedelta(hours=2))


def photo_renditions() -> dict[str, bytes]:
    """A portrait photo with texture (so its JPEG weighs what a photo does), as the photo pipeline stores it."""
    base = Image.radial_gradient("L").resize((1200, 1600)).convert("RGB")
    draw = ImageDraw.Draw(base)
    for i in range(40):
        draw.ellipse((i * 37 % 1000, i * 53 % 1400, i * 37 % 1000 + 200, i * 53 % 1400 + 180), fill=(i * 9, 90, 160))
    noise = Image.effect_noise((1200, 1600), 24).convert("RGB")
    out = io.BytesIO()
    Image.blend(base, noise, 0.25).filter(ImageFilter.GaussianBlur(0.6)).save(out, "JPEG", quality=90)
    return {rendition.name: rendition.data for rendition in process_photo(out.getvalue(), "image/jpeg")}


def assets_of(alert: Alert, photos: dict[str, bytes]) -> Assets:
    """What the worker gathers for web (master, page photo) and cap_feed (master and its link)."""
    links = {"master": f"{API_URL}/photos/{alert.id}/master.jpg"}
    page = public_page(SITE_URL, alert.id)
    return Assets(public_page=page, photo=photos["master"], photo_urls=links, page_photo=photos["feed"])


# What a view fetches.


class Fetches(HTMLParser):
    """Every resource a browser fetches for a page, as (what, address), from the HTML alone."""

    FETCHING_RELS = frozenset({"stylesheet", "icon", "apple-touch-icon", "preload", "modulepreload", "prefetch"})
    FETCHING_RELS |= {"manifest"}
    SOURCES: ClassVar[dict[str, str]] = {"img": "src", "script": "src", "iframe": "src", "embed": "src"}
    SOURCES |= {"video": "src", "audio": "src", "source": "src", "track": "src", "object": "data", "frame": "src"}

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._in_style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = {key: value or "" for key, value in attrs}
        if tag in self.SOURCES and given.get(self.SOURCES[tag]):
            self.found.append((tag, given[self.SOURCES[tag]]))
        for key in ("srcset", "imagesrcset"):
            self.found += [(f"{tag} {key}", url) for url in _srcset_urls(given.get(key, ""))]
        if tag == "video" and given.get("poster"):
            self.found.append(("video poster", given["poster"]))
        if tag == "input" and given.get("type") == "image" and given.get("src"):
            self.found.append(("input image", given["src"]))
        rels = set(given.get("rel", "").lower().split())
        if tag == "link" and rels & self.FETCHING_RELS and given.get("href", "").partition(":")[0] != "data":
            self.found.append((f"link {' '.join(sorted(rels))}", given["href"]))
        self.found += [(f"{tag} style url()", url) for url in _style_urls(given.get("style", ""))]
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found += [("style url()", url) for url in _style_urls(data)]


def _srcset_urls(srcset: str) -> list[str]:
    return [candidate.split()[0] for candidate in srcset.split(",") if candidate.strip()]


def _style_urls(css: str) -> list[str]:
    quoted = re.findall(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""", css)
    imports = re.findall(r"""@import\s+['"]([^'"]+)['"]""", css)
    return quoted + imports


# Bytes and fetches of each page.


@dataclass(frozen=True)
class Page:
    name: str
    html: dict[Language, str]
    expected: list[str]  # what a view may fetch beyond the page


def channel_pages(web: Channel, name: str, alert: Alert, photos: dict[str, bytes]) -> Page:
    content = web.render(alert, assets_of(alert, photos))
    pages = list(content["pages"].values())
    shown = [f"{SITE_URL}/{path}" for path in content["images"] if "/photo-v" in path]
    return Page(name, dict(zip(LANGUAGES, pages, strict=True)), shown)


def index_pages(name: str, alerts: list[Alert]) -> Page:
    entries = [listed(alert, public_page(SITE_URL, alert.id), _photo_url(alert)) for alert in alerts]
    html = {language: index_page(entries, language, False, f"{SITE_URL}/") for language in LANGUAGES}
    return Page(name, html, [_photo_url(alert) for alert in alerts])


def _photo_url(alert: Alert) -> str:
    return f"{SITE_URL}/alerts/{alert.id}/photo-v{alert.version}.jpg"


def all_pages(web: Channel, photos: dict[str, bytes]) -> list[Page]:
    sample = new_alert(sample_alert())
    dutch = new_alert(longest_body(DUTCH))
    costliest = new_alert(longest_body('"', headline_words="👧"))
    tens = [new_alert(longest_body(DUTCH), NOW + timedelta(minutes=i)) for i in range(10)]
    return [
        channel_pages(web, "alert page, sample (Sanne)", sample, photos),
        channel_pages(web, "alert page, longest texts", dutch, photos),
        channel_pages(web, "alert page, most bytes", costliest, photos),
        channel_pages(web, "ended page (found)", found(sample), photos),
        index_pages("index, 1 alert (sample)", [sample]),
        index_pages("index, 10 alerts (longest texts)", tens),
    ]


def print_bytes(pages: list[Page]) -> bool:
    print(f"\nPage bytes without the photo (raw, gzip -6), target under {TARGET_BYTES // 1024} KB raw:")
    print(f"  {'page':<36}{'nl raw':>9}{'gzip':>8}{'en raw':>10}{'gzip':>8}   largest/target")
    within = True
    for page in pages:
        sizes = {language: len(html.encode()) for language, html in page.html.items()}
        zipped = {language: len(gzip.compress(html.encode(), 6)) for language, html in page.html.items()}
        largest = max(sizes.values())
        verdict = "ok" if largest < TARGET_BYTES else "OVER"
        within &= largest < TARGET_BYTES
        cells = "".join(f"{_kb(sizes[lang]):>{9 if lang == 'nl' else 10}}{_kb(zipped[lang]):>8}" for lang in LANGUAGES)
        print(f"  {page.name:<36}{cells}   {largest / TARGET_BYTES:5.0%} {verdict}")
    return within


def print_fetches(pages: list[Page]) -> bool:
    print("\nRequests a view makes beyond the page itself (static count from the HTML):")
    as_expected = True
    for page in pages:
        for language, html in page.html.items():
            fetched = Fetches(html).found
            extra = [url for _, url in fetched if url not in page.expected]
            missing = [url for url in page.expected if url not in {url for _, url in fetched}]
            ok = not extra and not missing and len(fetched) == len(page.expected)
            as_expected &= ok
            what = _described(fetched)
            label = f"{page.name} ({language})"
            print(f"  {label:<41}{len(fetched):>3}  {what}  {'ok' if ok else 'UNEXPECTED: ' + str(extra or missing)}")
    print("  (each names its icon as an empty data: address, so a browser does not ask the site for /favicon.ico)")
    return as_expected


def _described(fetched: list[tuple[str, str]]) -> str:
    """``img photo-v1.jpg``; alike fetches counted (the index's photos: ``img photo-v1.jpg x10``)."""
    alike = Counter(f"{kind} {url.rsplit('/', 1)[-1]}" for kind, url in fetched)
    return ", ".join(what + (f" x{count}" if count > 1 else "") for what, count in sorted(alike.items())) or "nothing"


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


# Writing a version under moto.


@dataclass
class Calls:
    """Every S3 (and CloudFront) request the channels' clients make, by operation."""

    made: Counter[str]

    def hook(self, service: str) -> Callable[..., None]:
        def count(model: Any, **_: Any) -> None:
            self.made[f"{service}:{model.name}"] += 1

        return count

    @contextmanager
    def during(self) -> Iterator[Counter[str]]:
        before = Counter(self.made)
        taken: Counter[str] = Counter()
        yield taken
        taken.update(self.made - before)


@dataclass
class Step:
    """One channel's work on one alert version: render, then deliver (or retract)."""

    render: list[float]
    deliver: list[float]
    requests: list[Counter[str]]


def run_step(channel: Channel, alert: Alert, photos: dict[str, bytes], calls: Calls, step: Step) -> None:
    target = audience(channel.name)
    started = time.perf_counter()
    content: Content = channel.render(alert, assets_of(alert, photos))
    rendered = time.perf_counter()
    send = channel.retract if alert.state in lifecycle.TERMINAL_STATES else channel.deliver
    with calls.during() as taken:
        send(content, target, str(uuid.uuid4()), None)
    step.render.append(rendered - started)
    step.deliver.append(time.perf_counter() - rendered)
    step.requests.append(taken)


def audience(channel: str) -> PartnerTarget:
    return PartnerTarget.model_validate(
        {"name": OWN_AUDIENCES[channel][0], "url": "https://internal.invalid/", "secret_parameter": "-"}
    )


VERSIONS: dict[str, Callable[[Alert], Alert]] = {
    "new alert (v1)": lambda alert: alert,
    "update (v2)": updated,
    "retraction (v3, found)": lambda alert: found(updated(alert)),
}


def time_writes(channels: dict[str, Channel], photos: dict[str, bytes], calls: Calls) -> dict[str, dict[str, Step]]:
    """Per run a fresh alert through its three versions, each channel in turn on the same version."""
    steps = {version: {name: Step([], [], []) for name in channels} for version in VERSIONS}
    for run in range(RUNS + 1):  # run 0 warms up: first imports, fonts, connections
        first = new_alert(sample_alert(), NOW + timedelta(minutes=run))
        alerts = {version: make(first) for version, make in VERSIONS.items()}
        for version, alert in alerts.items():
            for name, channel in channels.items():
                scratch = Step([], [], [])
                run_step(channel, alert, photos, calls, scratch if run == 0 else steps[version][name])
    return steps


def print_writes(steps: dict[str, dict[str, Step]]) -> None:
    print(f"\nWriting a version (moto in-process, medians of {RUNS} runs; deliver is retract for the retraction):")
    columns = ("web render", "web deliver", "cap_feed deliver", "web/cap_feed", "S3 requests web", "cap_feed")
    print(f"  {'version':<24}" + "".join(f"{column:>{len(column) + 2}}" for column in columns))
    for version, by_channel in steps.items():
        web, cap = by_channel["web"], by_channel["cap_feed"]
        ratio = statistics.median(web.deliver) / statistics.median(cap.deliver)
        cells = [_ms(web.render), _ms(web.deliver), _ms(cap.deliver), f"{ratio:.1f}x"]
        cells += [_s3_total(web.requests), _s3_total(cap.requests)]
        print(
            f"  {version:<24}"
            + "".join(f"{cell:>{len(column) + 2}}" for cell, column in zip(cells, columns, strict=True))
        )
    print(_in_aws(steps["new alert (v1)"]))
    print("  Requests of each delivery, by operation:")
    for version, by_channel in steps.items():
        for name, step in by_channel.items():
            print(f"    {name:<9}{version:<24}{_breakdown(step.requests)}")


def _in_aws(by_channel: dict[str, Step]) -> str:
    """What the S3 requests of a new alert's delivery take one after the other at 10-30 ms each."""
    spans = []
    for name, step in by_channel.items():
        count = int(_s3_total(step.requests).split("/")[-1])
        spans.append(f"{name} {count * AWS_ROUND_TRIP_MS[0]}-{count * AWS_ROUND_TRIP_MS[1]} ms")
    return "  In AWS a new alert's S3 requests, one after the other, would take: " + ", ".join(spans)


def _s3_total(requests: list[Counter[str]]) -> str:
    """The S3 requests of a delivery (every run's, if they differ)."""
    totals = {sum(count for call, count in taken.items() if call.startswith("S3:")) for taken in requests}
    return "/".join(str(total) for total in sorted(totals))


def _breakdown(requests: list[Counter[str]]) -> str:
    last = requests[-1]
    services = sorted({call.split(":", 1)[0] for call in last}, reverse=True)
    return "; ".join(
        service
        + " "
        + ", ".join(f"{call.split(':', 1)[1]} {n}" for call, n in sorted(last.items()) if call.startswith(service))
        for service in services
    )


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms"


# The emulated stack.


@contextmanager
def emulated_aws() -> Iterator[Calls]:
    """moto in-process with the stack's resources and a CloudFront distribution; the clients' requests counted."""
    import boto3
    from moto import mock_aws

    from chalicelib.adapters.clients import cloudfront_client, s3_client
    from chalicelib.channels.targets import PartnerDirectory
    from chalicelib.wiring import reset
    from devstack.resources import deploy_resources
    from devstack.wiring import function_environment

    quiet_moto()
    with mock_aws():
        outputs = deploy_resources("local", boto3.session.Session())
        environment = function_environment(
            outputs, "local", PartnerDirectory(), retry_base_seconds=0, api_url=API_URL, site_url=SITE_URL
        )
        os.environ.update({**environment, "SITE_DISTRIBUTION_ID": distribution()})
        reset()
        calls = Calls(Counter())
        s3_client().meta.events.register("before-call.s3.*", calls.hook("S3"))
        cloudfront_client().meta.events.register("before-call.cloudfront.*", calls.hook("CloudFront"))
        yield calls
    reset()


def quiet_moto() -> None:
    """moto's CloudFormation warns of every resource type it skips (policies, subscriptions)."""
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="moto")
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
    )


def distribution() -> str:
    """A CloudFront distribution in front of the site, so that every change is invalidated as in AWS."""
    import boto3

    origin = {"Id": "site", "DomainName": "bucket.s3.amazonaws.com", "OriginPath": "/site"}
    config = {
        "CallerReference": "site",
        "Comment": "site",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{**origin, "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }
    return str(boto3.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]["Id"])


def main() -> int:
    from chalicelib.wiring import wiring

    print(HEADER)
    photos = photo_renditions()
    with emulated_aws() as calls:
        channels = {name: wiring().channel(name) for name in ("web", "cap_feed")}
        pages = all_pages(channels["web"], photos)
        within = print_bytes(pages)
        as_expected = print_fetches(pages)
        print_writes(time_writes(channels, photos, calls))
    return 0 if within and as_expected else 1


if __name__ == "__main__":
    sys.exit(main())
