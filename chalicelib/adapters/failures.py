"""A partner's refusal, as every transport reports it: a light module of its own, so a channel that sends no
webhook (the feed, the push) does not load the webhook signer to know the error."""

from __future__ import annotations


class PartnerError(Exception):
    """The partner did not accept the delivery; worth retrying later."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
