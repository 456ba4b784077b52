"""The names of the push topics: per language, one national topic, one per H3 cell, one for test devices."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class PushTopics:
    prefix: str  # kind-alarm-<stage>-push-

    def national(self, language: str) -> str:
        return f"{self.prefix}{language}-national"

    def cell(self, language: str, cell: str) -> str:
        return f"{self.prefix}{language}-cell-{cell}"

    def test(self, language: str) -> str:
        return f"{self.prefix}{language}-test"
