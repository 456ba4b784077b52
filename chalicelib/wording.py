"""How the service names its alert levels and how an alert ended, for every channel and language: one place."""

from __future__ import annotations

from typing import Literal

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")

# «Kind Alarm» / «Vermist kind»: push titles, CAP events, newsroom events, page titles.
LEVEL_TITLES = {
    "kind_alarm": {"nl": "Kind Alarm", "en": "Child Alert"},
    "vermist_kind": {"nl": "Vermist kind", "en": "Missing child"},
}
# The banner in capitals: road signs, station screens, the visuals.
BANNERS = {"kind_alarm": "KIND ALARM", "vermist_kind": "VERMIST KIND"}
# The first line of a social post.
POST_BANNERS = {"kind_alarm": "🚨 KIND ALARM", "vermist_kind": "VERMIST KIND"}

# Why an alert ended, per language: the label («Gevonden») and the sentence for the public.
ENDINGS = {
    "found": {
        "nl": ("Gevonden", "Het kind is gevonden. Dank voor uw hulp."),
        "en": ("Found", "The child has been found. Thank you for your help."),
    },
    "withdrawn": {
        "nl": ("Ingetrokken", "Deze oproep is ingetrokken."),
        "en": ("Withdrawn", "This alert has been withdrawn."),
    },
    "expired": {"nl": ("Verlopen", "Deze oproep is verlopen."), "en": ("Expired", "This alert has expired.")},
}
