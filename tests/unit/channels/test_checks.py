"""Create-time checks: an alert a channel of its level could not show is refused, naming channel and field."""

from __future__ import annotations

import pytest

from chalicelib.channels import checks
from chalicelib.channels.texts import SignProfile
from chalicelib.errors import InvalidAlertError
from chalicelib.models.alert import Alert
from tests.conftest import alert


def _alert(level: str, name: str, headline: str) -> Alert:
    """The sample alert with another name and headline, unvalidated: the checks see what a channel would."""
    base = alert(alert_id="0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b", level=level, child={"name": "Sanne", "age": 9})
    return base.model_copy(
        update={
            "child": base.child.model_copy(update={"name": name}),
            "headline": base.headline.model_copy(update={"nl": headline}),
        }
    )


def test_a_refused_create_names_each_channel_and_the_field_to_change():
    alert = _alert("kind_alarm", "Maximiliaan-Alexander", "Wolfeschlegelsteinhausen" * 20)
    with pytest.raises(InvalidAlertError) as caught:
        checks.content_check(SignProfile(3, 12))(alert)
    assert [(error.detail, error.pointer) for error in caught.value.errors] == [
        ("social_media: the post does not fit X's 280 characters", "/headline/nl"),
        ("road_signs: the first name is longer than a road-sign line (12 characters)", "/child/name"),
    ]


def test_a_level_is_checked_only_for_its_channels():
    alert = _alert("vermist_kind", "Maximiliaan-Alexander", "Vermist")
    checks.content_check(SignProfile(3, 12))(alert)  # no road signs for a vermist_kind alert
