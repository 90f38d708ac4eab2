"""Downloading artifacts once per user, verified by checksum.

JVM distributions, plugins and jars are not in the repo and not in a clone's state
directory: they live in the per-user cache (`$XDG_CACHE_HOME/lakepulse`, default
`~/.cache/lakepulse`, or `LAKEPULSE_CACHE`), so every clone and CI run on the same
machine reuses them, and a fresh machine downloads them once. Every artifact is
pinned to a checksum in code; a file that does not match is never used.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from infra.errors import ServiceError

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
CHUNK = 1 << 20


def cache_dir() -> Path:
    """The per-user cache root (created on demand)."""
    explicit = os.environ.get("LAKEPULSE_CACHE")
    if explicit:
        root = Path(explicit).expanduser()
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lakepulse"
    root.mkdir(parents=True, exist_ok=True)
    return root


def maven_url(group: str, artifact: str, version: str, extension: str = "jar") -> str:
    """The Maven Central (or `LAKEPULSE_MAVEN_URL` mirror) URL of one artifact."""
    base = os.environ.get("LAKEPULSE_MAVEN_URL", MAVEN_CENTRAL).rstrip("/")
    return f"{base}/{group.replace('.', '/')}/{artifact}/{version}/{artifact}-{version}.{extension}"


@dataclass(frozen=True)
class Artifact:
    """One pinned download: where it comes from and the checksum it must have.

    `digest` is hex; `algorithm` any hashlib name (Maven Central publishes sha1 for every
    artifact, sha256/sha512 for some).
    """

    name: str
    url: str
    digest: str
    algorithm: str = "sha1"

    @property
    def path(self) -> Path:
        return cache_dir() / "downloads" / self.name


def file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(artifact: Artifact, *, progress: bool = True) -> Path:
    """The artifact's verified file in the cache, downloading it first if needed.

    The download goes to a `.part` file renamed into place only once its checksum
    matches, so an interrupted or corrupt download is never mistaken for a good one.
    """
    target = artifact.path
    if target.exists():
        if file_digest(target, artifact.algorithm) == artifact.digest:
            return target
        target.unlink()  # corrupt or truncated by hand: fetch again
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f"{target.name}.{os.getpid()}.part")
    started = time.monotonic()
    try:
        _download(artifact.url, part, artifact.name, progress)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        part.unlink(missing_ok=True)
        raise ServiceError(
            f"cannot download {artifact.name} from {artifact.url}: {exc}",
            hint="check the network or set LAKEPULSE_MAVEN_URL to a reachable mirror",
        ) from None
    actual = file_digest(part, artifact.algorithm)
    if actual != artifact.digest:
        part.unlink(missing_ok=True)
        raise ServiceError(
            f"{artifact.name} from {artifact.url} has {artifact.algorithm} {actual}, "
            f"expected {artifact.digest}",
            hint="the mirror served a different file; fix the mirror or the pinned checksum",
        )
    part.replace(target)
    if progress:
        size = target.stat().st_size / 2**20
        print(
            f"downloaded {artifact.name} ({size:,.0f} MiB, {time.monotonic() - started:.1f} s,"
            f" {artifact.algorithm} verified)",
            file=sys.stderr,
        )
    return target


def _download(url: str, part: Path, name: str, progress: bool) -> None:
    with urllib.request.urlopen(url, timeout=60) as response, part.open("wb") as out:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        shown = 0.0
        while chunk := response.read(CHUNK):
            out.write(chunk)
            done += len(chunk)
            now = time.monotonic()
            if progress and total and now - shown > 5:
                shown = now
                print(f"downloading {name}: {done * 100 // total}%", file=sys.stderr)
