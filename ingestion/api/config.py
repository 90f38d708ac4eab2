"""HTTP JSON API sources: where to read, how to page, how to authenticate, what rows look like.

One YAML file per source in `ingestion/apis/` (or LAKEPULSE_APIS). The `columns`
and `primary_key` are a dataset contract, so API rows are validated, typed and
quarantined exactly like file rows. Secrets never live here: `auth.env` names the
environment variable that holds the token.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from infra.errors import ConfigError
from infra.settings import first_problem
from ingestion.files.contract import Column, Contract

APIS_DIR = Path(__file__).resolve().parents[1] / "apis"


class Auth(BaseModel):
    model_config = ConfigDict(extra="forbid")

    header: str = "Authorization"
    env: str
    """Environment variable holding the secret."""
    prefix: str = "Bearer "

    def headers(self, source: str) -> dict[str, str]:
        secret = os.environ.get(self.env)
        if not secret:
            raise ConfigError(
                f"API source {source}: the secret is not set", hint=f"export {self.env}"
            )
        return {self.header: f"{self.prefix}{secret}"}


class Pagination(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["none", "page", "cursor", "next_link"] = "none"
    page_param: str = "page"
    first_page: int = 1
    size_param: str | None = "per_page"
    page_size: int = Field(default=100, gt=0)
    cursor_param: str = "cursor"
    cursor_field: str = "next_cursor"
    """Dotted path of the next cursor in the response body."""
    next_field: str | None = "next"
    """Dotted path of the next page's URL in the body (else the Link header, rel=next)."""


class Incremental(BaseModel):
    model_config = ConfigDict(extra="forbid")

    param: str = "updated_since"
    field: str
    """The record field (a contract column) whose maximum in Bronze is the watermark."""


class Retries(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attempts: int = Field(default=6, ge=1)
    backoff_seconds: float = Field(default=0.5, ge=0)
    max_backoff_seconds: float = Field(default=30.0, gt=0)


class ApiSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    source: str = "api"
    description: str = ""
    enabled: bool = True
    """The daily pipeline pulls enabled sources (`lakepulse ingest api NAME` pulls any)."""
    url: str
    records: str | None = "data"
    """Dotted path of the record list in a response body (None: the body is the list)."""
    auth: Auth | None = None
    pagination: Pagination = Pagination()
    incremental: Incremental | None = None
    rate_limit: float | None = Field(default=None, gt=0)
    """Requests per second at most."""
    retries: Retries = Retries()
    timeout_seconds: float = Field(default=30.0, gt=0)
    params: dict[str, str] = {}
    primary_key: list[str] = []
    columns: list[Column]

    @model_validator(mode="after")
    def _check(self) -> ApiSource:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url {self.url!r} must start with http:// or https://")
        contract = self.contract  # validates names, keys and columns
        if self.incremental and contract.column(self.incremental.field) is None:
            raise ValueError(f"incremental field {self.incremental.field!r} is not a column")
        return self

    @property
    def contract(self) -> Contract:
        return Contract(
            name=self.name,
            source=self.source,
            format="json",
            primary_key=self.primary_key,
            columns=[c.model_copy() for c in self.columns],
        )


def load_api(path: Path) -> ApiSource:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return ApiSource.model_validate(raw)
    except yaml.YAMLError:
        raise ConfigError(
            f"API source {path} is not valid YAML", hint="fix the file's YAML syntax"
        ) from None
    except ValidationError as exc:
        raise ConfigError(
            f"API source {path}: {first_problem(exc)}", hint="fix that field of the source"
        ) from None


def load_apis(directory: Path | None = None) -> dict[str, ApiSource]:
    directory = directory or Path(os.environ.get("LAKEPULSE_APIS") or APIS_DIR)
    if not directory.is_dir():
        return {}
    sources = {}
    for path in sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")]):
        source = load_api(path)
        sources[source.name] = source
    return sources
