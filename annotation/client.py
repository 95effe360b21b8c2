"""A Label Studio connection whose errors say what went wrong and never show the token."""
from __future__ import annotations

import os

import httpx


class ReviewError(RuntimeError):
    pass


def settings(url: str | None, token: str | None) -> tuple[str, str]:
    url = url or os.environ.get("LABEL_STUDIO_URL")
    token = token or os.environ.get("LABEL_STUDIO_API_KEY")
    if not url:
        raise ReviewError("no Label Studio URL: pass --url or set LABEL_STUDIO_URL")
    if not token:
        raise ReviewError("no Label Studio token: pass --token or set LABEL_STUDIO_API_KEY")
    return url.rstrip("/"), token


def connect(url: str | None = None, token: str | None = None):
    """A checked client: the server answers and accepts the token."""
    from label_studio_sdk import LabelStudio
    url, token = settings(url, token)
    try:
        response = httpx.get(f"{url}/api/current-user/whoami", headers={"Authorization": f"Token {token}"},
                             timeout=15)
    except httpx.HTTPError as exc:
        raise ReviewError(f"cannot reach Label Studio at {url} ({type(exc).__name__}); is it running?") from None
    if response.status_code in (401, 403):
        raise ReviewError(f"Label Studio at {url} refused the token (HTTP {response.status_code}); "
                          "check --token / LABEL_STUDIO_API_KEY")
    if response.status_code >= 400:
        raise ReviewError(f"Label Studio at {url} answered HTTP {response.status_code} to a login check")
    return LabelStudio(base_url=url, api_key=token)


def guarded(call, what: str):
    """Run an SDK call; connection or HTTP failures become ReviewErrors without the request's headers."""
    try:
        return call()
    except httpx.HTTPError as exc:
        raise ReviewError(f"Label Studio stopped answering while {what} ({type(exc).__name__})") from None
    except Exception as exc:  # the SDK's ApiError carries status and body, never the token
        status = getattr(exc, "status_code", None)
        if status is None:
            raise
        raise ReviewError(f"Label Studio refused {what} (HTTP {status}): {str(getattr(exc, 'body', ''))[:200]}") from None
