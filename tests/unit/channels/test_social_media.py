"""The marker by which the social channel knows a post as its own for one alert: the link that ends the post,
this alert's page with a version (``#v3``) or the found notice (``#gevonden``); nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters.social import closing_link
from chalicelib.alerts import lifecycle
from chalicelib.channels.base import Assets
from chalicelib.channels.social_media import SocialMediaChannel, own_fragment
from chalicelib.links import public_page
from tests.conftest import ALERT_ID, CREATED_AT, alert

SITE = "https://kindalarm.burgernet.nl"
SISTER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
PAGE = public_page(SITE, ALERT_ID)
SISTERS_PAGE = public_page(SITE, SISTER)


def rendered(*, alert_id: str = ALERT_ID, found: bool = False, **overrides: Any) -> str:
    """The text the channel posts for the alert (its found notice when ``found``)."""
    subject = alert(alert_id=alert_id, **overrides)
    if found:
        subject = lifecycle.cancel(subject, "found", CREATED_AT)
    content = SocialMediaChannel(None, None).render(subject, Assets(public_page=public_page(SITE, alert_id)))  # type: ignore[arg-type]
    return str(content["notice"] if found else content["text"])


def test_our_post_is_marked_with_its_version():
    assert own_fragment(closing_link(rendered()), PAGE) == "v1"


def test_our_found_notice_is_marked_as_the_notice():
    assert own_fragment(closing_link(rendered(found=True)), PAGE) == "gevonden"


def test_our_post_that_links_a_sibling_alert_in_its_text_is_this_alerts_and_not_the_siblings():
    # Given our post for this alert, whose instruction says «zie ook» the sister's page
    text = rendered(instruction={"nl": f"Zie ook {SISTERS_PAGE}#v1", "en": "See also the sister's alert."})
    assert SISTERS_PAGE in text
    # Then it is this alert's version 1, and no post of the sister's
    assert own_fragment(closing_link(text), PAGE) == "v1"
    assert own_fragment(closing_link(text), SISTERS_PAGE) is None


def test_a_sibling_alerts_found_notice_is_not_this_alerts():
    notice = closing_link(rendered(alert_id=SISTER, found=True))
    assert own_fragment(notice, SISTERS_PAGE) == "gevonden"
    assert own_fragment(notice, PAGE) is None


@pytest.mark.parametrize(
    "last",
    [
        PAGE,  # the page shared without a version
        f"{PAGE}#",
        f"{PAGE}#v1.",  # a sentence that ends after the link
        f"{PAGE}#v0",
        f"{PAGE}#v1a",
        f"{PAGE}#V1",
        f"{PAGE}#gevonden!",
        f"{PAGE}?utm_source=x#v1",
        f"{public_page(SITE, ALERT_ID, language='en')}#v1",
        f"{public_page(SITE, ALERT_ID, sandbox=True)}#v1",
        f"{SISTERS_PAGE}#v1",
        f"{PAGE}/#v1",
        None,
    ],
)
def test_a_post_whose_closing_link_is_not_this_alerts_marker_is_not_ours(last):
    assert own_fragment(last, PAGE) is None


@pytest.mark.parametrize(
    "text",
    [
        f"Deel deze oproep! {PAGE}#v1 #KindAlarm",
        f"{PAGE}#v1\nen bel 112 als je haar ziet",
        f"Zie ook {PAGE}#v1\n{SISTERS_PAGE}#v2",
    ],
)
def test_a_post_that_names_our_marker_but_does_not_end_with_it_is_not_ours(text):
    assert own_fragment(closing_link(text), PAGE) is None
