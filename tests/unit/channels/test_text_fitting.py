"""Channel texts: X posts within 280 weighted characters, sign lines within the profile, no word cut."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from chalicelib.channels.texts import ContentError, SignProfile, abbreviate, post_text, sign_lines, wrap
from tests.conftest import alert

LONG_NAME = "Maria-Louisa Anaïs Zoë Daniëlle van den Heuvel-Wolfeschlegelsteinhausen"
LONG_TEXT = (
    "Laatst gezien bij station Amsterdam Bijlmer ArenA 🚉 met een groene rugzak 🎒, een blauwe jas en een rode muts; "
    "zie https://www.politie.nl/vermist/2026/sanne-de-vries-utrecht-centraal voor foto's en meer informatie. " * 2
)


CASES = {
    "contract example": {},
    "long name": {"child": {"name": LONG_NAME, "age": 9, "description": LONG_TEXT[:500]}},
    "long headline": {"headline": {"nl": ("Zoë (7) vermist in Capelle aan den IJssel 🚨 " * 4)[:160]}},
    "long instruction with url": {"instruction": {"nl": LONG_TEXT[:500]}},
    "emoji everywhere": {"headline": {"nl": "👧🏼 " * 40}},
}


@pytest.mark.parametrize("overrides", CASES.values(), ids=CASES.keys())
def test_posts_fit_x_weighted_count_and_keep_whole_words(overrides):
    subject = alert(**overrides)
    text = post_text(subject)
    assert parse_tweet(text).weightedLength <= 280
    assert text.startswith("🚨 KIND ALARM")
    assert text.endswith(f"Bel {subject.contact.phone}.")
    source_words = set(" ".join([subject.headline.nl, subject.child.description or "", subject.instruction.nl]).split())
    for word in text.split()[3:-2]:
        assert word.removesuffix("…") in source_words or word in source_words


def test_a_post_keeps_the_description_and_instruction_when_there_is_room():
    text = post_text(alert())
    assert "1,30 m, blond haar, rode jas" in text
    assert "Zie je Sanne? Bel direct 112." in text


def test_urls_count_as_23():
    subject = alert(instruction={"nl": "Meer op https://www.politie.nl/" + "x" * 200})
    assert "https://www.politie.nl/" in post_text(subject)


@pytest.mark.parametrize(
    ("place", "chars", "expected"),
    [
        ("Amsterdam Centraal Station", 20, "A'DAM CS"),
        ("Rotterdam Centraal", 12, "R'DAM CS"),
        ("'s-Hertogenbosch", 12, "DEN BOSCH"),
        ("Capelle aan den IJssel", 18, "CAPELLE A/D IJSSEL"),
        ("Utrecht", 20, "UTRECHT"),
    ],
)
def test_place_names_are_abbreviated_only_as_needed(place, chars, expected):
    assert abbreviate(place, chars) == expected


def test_wrapping_never_cuts_a_word():
    assert wrap("BEL 0800-6070 OF 112", 9) == ["BEL", "0800-6070", "OF 112"]
    with pytest.raises(ContentError):
        wrap("WOLFESCHLEGELSTEINHAUSEN", 20)


@pytest.mark.parametrize("name", ["Sanne de Vries", "Zoë", "IJsbrand Daniël", LONG_NAME, "Anaïs"])
@pytest.mark.parametrize("profile", [SignProfile(3, 20), SignProfile(4, 16), SignProfile(3, 12)])
def test_sign_lines_fit_the_profile(name, profile):
    subject = alert(child={"name": name}, last_seen={"at": "2026-11-28T15:00:00+01:00", "place": "Amsterdam Centraal"})
    lines = sign_lines(subject, profile)
    assert len(lines) <= profile.lines
    assert all(len(line) <= profile.chars for line in lines)
    assert lines[0] == "KIND ALARM"
    assert lines[-1].endswith("0800-6070")
    for word in " ".join(lines[1:-1]).split():
        assert word in name.upper().split() or word in ["A'DAM", "CS", "AMSTERDAM", "CENTRAAL"]


def test_the_place_is_shown_when_there_is_a_line_for_it():
    subject = alert(last_seen={"at": "2026-11-28T15:00:00+01:00", "place": "Amsterdam Centraal"})
    assert sign_lines(subject, SignProfile(4, 20)) == [
        "KIND ALARM",
        "SANNE DE VRIES",
        "AMSTERDAM CENTRAAL",
        "BEL 0800-6070",
    ]
    assert sign_lines(subject, SignProfile(3, 20)) == ["KIND ALARM", "SANNE DE VRIES", "BEL 0800-6070"]


def test_a_name_that_cannot_fit_a_sign_is_an_error_naming_the_field():
    with pytest.raises(ContentError) as caught:
        sign_lines(alert(child={"name": "Maximiliaan-Alexander"}), SignProfile(3, 12))
    assert caught.value.pointer == "/child/name"


TOKENS = ["a", "é", ".", " ", "/", ":", "politie.nl", "https://t.co/x", "👩\u200d👧", "🇳🇱", "。", "ｈｔｔｐ", "x.com/p"]


@settings(max_examples=400, deadline=None)
@given(
    text=st.lists(st.one_of(st.characters(blacklist_categories=["Cs"]), st.sampled_from(TOKENS)), max_size=60).map(
        "".join
    )
)
def test_the_quick_bound_never_undercounts_x(text):
    from chalicelib.channels.texts import weight, weight_bound

    assert weight_bound(text) >= weight(text)


def test_a_usual_post_is_decided_without_loading_twitter_text():
    import subprocess
    import sys

    script = (
        "import sys, json; from chalicelib.channels.texts import fits; "
        "ok = fits('KIND ALARM\\nSanne (9) vermist in Utrecht\\n1,30 m, blond haar, rode jas\\nBel 0800-6070.'); "
        "print(json.dumps([ok, 'twitter_text' in sys.modules]))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[true, false]"
