"""Partner Center failures as domain errors.

Each kind has a stable ``code``. ``details`` keeps what Partner Center said: its own error code
(``microsoft_code``), ``description``, the HTTP status (``http_status``), the ``request_id``
(``MS-RequestId``) and ``correlation_id`` (``MS-CorrelationId``) of the call, plus the method and
path.

Two flags tell a caller what to do next:

* ``retryable``: nothing was done; the same call may be sent again later (throttled, down).
* ``outcome_unknown``: a write was sent and no answer came back (timeout, dropped connection,
  a 5xx that may have come after the change). Partner Center may or may not have made the
  change: send it again **with the same request id** and Partner Center answers as for the first.

An error that is neither is final: sending the same request again gives the same answer.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from cloudbroker.core.errors import ExternalServiceError

__all__ = [
    "PartnerCenterAuthFailed",
    "PartnerCenterConflict",
    "PartnerCenterError",
    "PartnerCenterForbidden",
    "PartnerCenterInvalidRequest",
    "PartnerCenterNotFound",
    "PartnerCenterThrottled",
    "PartnerCenterTimeout",
    "PartnerCenterTransportError",
    "PartnerCenterUnavailable",
    "error_from_response",
]


class PartnerCenterError(ExternalServiceError):
    """Base class of every failure of a Partner Center call."""

    code: ClassVar[str] = "partner_center_error"
    default_message: ClassVar[str] = "Partner Center did not complete the request."
    retryable_by_default: ClassVar[bool] = False

    def __init__(
        self,
        message: str | None = None,
        *,
        retryable: bool | None = None,
        outcome_unknown: bool = False,
        retry_after: float | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message, **{k: v for k, v in details.items() if v is not None})
        self.retryable = self.retryable_by_default if retryable is None else retryable
        self.outcome_unknown = outcome_unknown
        self.retry_after = retry_after

    @property
    def final(self) -> bool:
        """Sending the same request again would fail the same way."""
        return not (self.retryable or self.outcome_unknown)

    @property
    def microsoft_code(self) -> str | None:
        code = self.details.get("microsoft_code")
        return None if code is None else str(code)

    @property
    def http_status(self) -> int | None:
        return self.details.get("http_status")

    @property
    def request_id(self) -> str | None:
        return self.details.get("request_id")

    @property
    def correlation_id(self) -> str | None:
        return self.details.get("correlation_id")


class PartnerCenterInvalidRequest(PartnerCenterError):
    """Partner Center refused the request as it is (400: a field, a business rule such as a window)."""

    code = "partner_center_invalid_request"
    status = 422
    default_message = "Partner Center refused the request."


class PartnerCenterForbidden(PartnerCenterError):
    """403: not allowed for this partner or customer (relationship, seat limits, app-only token...)."""

    code = "partner_center_forbidden"
    status = 422
    default_message = "Partner Center does not allow this request."


class PartnerCenterNotFound(PartnerCenterError):
    code = "partner_center_not_found"
    status = 404
    default_message = "Partner Center does not know this object."


class PartnerCenterConflict(PartnerCenterError):
    """409: another operation is running on the object (renewal, a checkout); try again later."""

    code = "partner_center_conflict"
    status = 409
    default_message = "Partner Center is busy with another change of this object; try again later."


class PartnerCenterAuthFailed(PartnerCenterError):
    """The app registration was refused (token endpoint) or the token was not accepted (401)."""

    code = "partner_center_auth_failed"
    status = 502
    default_message = "Partner Center refused the credentials."


class PartnerCenterThrottled(PartnerCenterError):
    """429: too many requests; ``retry_after`` holds the wait Partner Center asked for (seconds)."""

    code = "partner_center_throttled"
    status = 503
    default_message = "Partner Center asks to slow down (too many requests)."
    retryable_by_default = True


class PartnerCenterUnavailable(PartnerCenterError):
    """Partner Center cannot be reached, or answered 5xx."""

    code = "partner_center_unavailable"
    status = 503
    default_message = "Partner Center is not available at the moment."
    retryable_by_default = True


class PartnerCenterTimeout(PartnerCenterUnavailable):
    """No answer in time. On a write the outcome is unknown: retry with the same request id."""

    code = "partner_center_timeout"
    status = 504
    default_message = "Partner Center did not answer in time."


class PartnerCenterTransportError(PartnerCenterUnavailable):
    """The connection broke after the request was sent. On a write the outcome is unknown."""

    code = "partner_center_transport_error"
    status = 502
    default_message = "The connection to Partner Center broke before its answer arrived."


_BY_STATUS: dict[int, type[PartnerCenterError]] = {
    400: PartnerCenterInvalidRequest,
    401: PartnerCenterAuthFailed,
    403: PartnerCenterForbidden,
    404: PartnerCenterNotFound,
    409: PartnerCenterConflict,
    412: PartnerCenterConflict,  # If-Match: the object changed since it was read
    422: PartnerCenterInvalidRequest,
    429: PartnerCenterThrottled,
}

# 5xx statuses after which a write may have been made (503 means "not taken", as 429 does).
_MAYBE_DONE = frozenset({500, 502, 504})


def error_from_response(
    response: httpx.Response,
    *,
    write: bool,
    retry_after: float | None = None,
    **context: Any,
) -> PartnerCenterError:
    """The error for a Partner Center answer of 4xx/5xx, keeping Microsoft's code and description."""
    status = response.status_code
    kind = _BY_STATUS.get(status)
    if kind is None:
        kind = PartnerCenterUnavailable if status >= 500 else PartnerCenterInvalidRequest
    body = _json_body(response)
    microsoft_code = body.get("code") if body.get("code") is not None else body.get("errorCode")
    description = body.get("description") or body.get("message") or body.get("errorDescription")
    details: dict[str, Any] = {
        "http_status": status,
        "microsoft_code": microsoft_code,
        "description": description,
        "request_id": response.headers.get("MS-RequestId") or context.pop("request_id", None),
        "correlation_id": response.headers.get("MS-CorrelationId") or context.pop("correlation_id", None),
        **context,
    }
    if body.get("data"):
        details["data"] = body["data"]
    if body.get("errorName"):
        details["error_name"] = body["errorName"]
    message = _message(status, description)
    outcome_unknown = write and status in _MAYBE_DONE
    retryable = None
    if isinstance(body.get("isRetryable"), bool) and kind not in (PartnerCenterThrottled, PartnerCenterUnavailable):
        retryable = body["isRetryable"]
    return kind(message, outcome_unknown=outcome_unknown, retry_after=retry_after, retryable=retryable, **details)


def _json_body(response: httpx.Response) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _message(status: int, description: str | None) -> str:
    if description:
        return f"Partner Center: {description}"
    if status == 429:
        return PartnerCenterThrottled.default_message
    if status >= 500:
        return f"Partner Center is not available at the moment (HTTP {status})."
    return f"Partner Center refused the request (HTTP {status})."
