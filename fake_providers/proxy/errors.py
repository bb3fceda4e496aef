"""The API's error value: Toxiproxy answers every failure as ``{"error": msg, "status": code}``."""

from __future__ import annotations

__all__ = [
    "ApiError",
    "bad_request",
    "missing_field",
    "proxy_exists",
    "proxy_not_found",
    "toxic_exists",
    "toxic_not_found",
]


class ApiError(Exception):
    """A failure the HTTP API reports with a status code (messages follow Toxiproxy's api.go)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def body(self) -> dict[str, object]:
        return {"error": self.message, "status": self.status}


def bad_request(detail: str) -> ApiError:
    return ApiError(f"bad request body: {detail}", 400)


def missing_field(field: str) -> ApiError:
    return ApiError(f"missing required field: {field}", 400)


def proxy_not_found(name: str) -> ApiError:
    return ApiError(f"proxy not found: {name}", 404)


def proxy_exists(name: str) -> ApiError:
    return ApiError(f"proxy already exists: {name}", 409)


def toxic_not_found(name: str) -> ApiError:
    return ApiError(f"toxic not found: {name}", 404)


def toxic_exists(name: str) -> ApiError:
    return ApiError(f"toxic already exists: {name}", 409)
