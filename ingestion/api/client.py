"""Read every page of a JSON API: pagination, rate limit, retries with backoff on 429/5xx."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpx

from infra.errors import ApiError
from ingestion.api.config import ApiSource

RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_PAGES = 100_000


@dataclass
class Page:
    url: str
    records: list[object]


@dataclass
class FetchStats:
    requests: int = 0
    pages: int = 0
    retries: dict[str, int] = field(default_factory=dict)
    waited_seconds: float = 0.0


def dig(body: object, path: str | None) -> object:
    if not path:
        return body
    for part in path.split("."):
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


class _Throttle:
    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.last = 0.0

    def wait(self) -> float:
        pause = self.last + self.interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self.last = time.monotonic()
        return max(pause, 0.0)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def _get(
    client: httpx.Client,
    source: ApiSource,
    url: str,
    params: dict[str, str],
    throttle: _Throttle,
    stats: FetchStats,
) -> httpx.Response:
    policy = source.retries
    problem = ""
    for attempt in range(policy.attempts):
        stats.waited_seconds += throttle.wait()
        stats.requests += 1
        try:
            response = client.get(url, params=params)
        except httpx.TransportError as exc:
            problem, delay = f"{type(exc).__name__}: {exc}", None
        else:
            if response.status_code < 400:
                return response
            if response.status_code not in RETRY_STATUS:
                hint = (
                    "check the token in the auth.env variable"
                    if response.status_code in (401, 403)
                    else "check the source's url/params"
                )
                raise ApiError(
                    f"GET {response.url} answered {response.status_code} {response.reason_phrase}",
                    hint=hint,
                )
            problem, delay = f"HTTP {response.status_code}", _retry_after(response)
        stats.retries[problem.split(":")[0]] = stats.retries.get(problem.split(":")[0], 0) + 1
        if attempt + 1 == policy.attempts:
            break
        if delay is None:
            delay = min(policy.backoff_seconds * 2**attempt, policy.max_backoff_seconds)
            delay *= 0.5 + random.random() / 2  # jitter
        stats.waited_seconds += delay
        time.sleep(delay)
    raise ApiError(
        f"GET {url} failed {policy.attempts} times (last: {problem}): the API is unavailable",
        hint="rerun later (nothing was written)",
    )


def pages(
    source: ApiSource,
    watermark: str | None,
    stats: FetchStats,
    headers: dict[str, str] | None = None,
) -> Iterator[Page]:
    """Every page of records after the watermark, in the order the API serves them."""
    paging = source.pagination
    params = dict(source.params)
    if source.incremental and watermark is not None:
        params[source.incremental.param] = watermark
    if paging.type == "page":
        params[paging.page_param] = str(paging.first_page)
    if paging.type in ("page", "cursor") and paging.size_param:
        params[paging.size_param] = str(paging.page_size)
    url = source.url
    throttle = _Throttle(source.rate_limit)
    seen: set[str] = set()
    with httpx.Client(
        timeout=source.timeout_seconds, headers=headers or {}, follow_redirects=True
    ) as client:
        while True:
            response = _get(client, source, url, params, throttle, stats)
            try:
                body = response.json()
            except ValueError:
                raise ApiError(
                    f"GET {response.url} did not answer JSON", hint="check the source's url"
                ) from None
            records = dig(body, source.records)
            if not isinstance(records, list):
                raise ApiError(
                    f"GET {response.url}: no record list at {source.records!r} in the response",
                    hint="fix `records` in the source's YAML",
                )
            stats.pages += 1
            yield Page(str(response.url), records)
            if paging.type == "none" or not records:
                return
            if stats.pages >= MAX_PAGES:
                raise ApiError(
                    f"{source.url}: more than {MAX_PAGES:,} pages",
                    hint="check the pagination settings (the API may ignore the page parameter)",
                )
            if paging.type == "page":
                # only an empty page ends: a server may cap the page size below ours
                params[paging.page_param] = str(int(params[paging.page_param]) + 1)
                continue
            if paging.type == "cursor":
                cursor = dig(body, paging.cursor_field)
                if not cursor:
                    return
                params[paging.cursor_param] = str(cursor)
                position = f"cursor {cursor}"
            else:
                link = dig(body, paging.next_field) if paging.next_field else None
                link = link or response.links.get("next", {}).get("url")
                if not link:
                    return
                url, params = urljoin(str(response.url), str(link)), {}
                position = url
            if position in seen:
                raise ApiError(
                    f"{source.url}: the API served {position} twice: its pagination loops",
                    hint="check the source's pagination settings (nothing was written)",
                )
            seen.add(position)
