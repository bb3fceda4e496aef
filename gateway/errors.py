"""The typed error hierarchy the provider clients raise.

Every exception carries the plain ``ProviderFailure`` value the policy core
works with, so the shell can hand ``exc.failure`` to the request path.
"""

from __future__ import annotations

from .outcomes import FailureKind, ProviderFailure


class ProviderError(Exception):
    kind: FailureKind = FailureKind.BAD_RESPONSE

    def __init__(self, failure: ProviderFailure) -> None:
        super().__init__(f"{failure.provider}: {failure.kind}: {failure.message}")
        self.failure = failure


class ProviderTimeout(ProviderError):
    kind = FailureKind.TIMEOUT


class RateLimited(ProviderError):
    """429 that will pass: rpm/tpm exhausted for now."""

    kind = FailureKind.RATE_LIMITED


class QuotaExhausted(RateLimited):
    """429 that will not pass by waiting: insufficient_quota, spend cap."""

    kind = FailureKind.QUOTA_EXHAUSTED


class ServerError(ProviderError):
    kind = FailureKind.SERVER_ERROR


class Overloaded(ServerError):
    kind = FailureKind.OVERLOADED


class ConnectionRefused(ProviderError):
    kind = FailureKind.CONNECTION_REFUSED


class ConnectionReset(ProviderError):
    kind = FailureKind.CONNECTION_RESET


class BadResponse(ProviderError):
    kind = FailureKind.BAD_RESPONSE


class ClientError(ProviderError):
    kind = FailureKind.CLIENT_ERROR


ERROR_FOR_KIND: dict[FailureKind, type[ProviderError]] = {
    FailureKind.TIMEOUT: ProviderTimeout,
    FailureKind.RATE_LIMITED: RateLimited,
    FailureKind.QUOTA_EXHAUSTED: QuotaExhausted,
    FailureKind.SERVER_ERROR: ServerError,
    FailureKind.OVERLOADED: Overloaded,
    FailureKind.CONNECTION_REFUSED: ConnectionRefused,
    FailureKind.CONNECTION_RESET: ConnectionReset,
    FailureKind.BAD_RESPONSE: BadResponse,
    FailureKind.CLIENT_ERROR: ClientError,
}


def error_for(failure: ProviderFailure) -> ProviderError:
    return ERROR_FOR_KIND[failure.kind](failure)
