"""Tenants: whose a key is, what it may see, and its limits (TENANTS_FILE and X_API_KEY).

TENANTS_FILE (TOML or JSON) lists ``tenants``; each stores its key as the key's SHA-256 in hex,
so the file holds no secret. X_API_KEY's keys (or the key generated when neither is set) are
one more tenant, ``default``, an admin: a service configured as before behaves as before.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from framecast.api.credentials import load_or_create_api_keys
from framecast.config import Settings
from framecast.errors import ConfigError

DEFAULT_TENANT = "default"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_LIMITS = ("max_concurrent_jobs", "max_queued_items", "requests_per_minute")
_FIELDS = ("name", "role", "key_sha256", *_LIMITS)


class Role(StrEnum):
    ADMIN = "admin"  # sees, cancels and lists every tenant's jobs
    CLIENT = "client"  # sees only its own jobs; anyone else's are 404 to it


@dataclass(frozen=True)
class Limits:
    """What one tenant may have at once; None: no limit."""

    max_concurrent_jobs: int | None = None  # jobs queued or running
    max_queued_items: int | None = None  # items of those jobs not yet done or failed
    requests_per_minute: int | None = None  # every request its key authenticates


@dataclass(frozen=True)
class Tenant:
    """A named holder of keys: its role and limits."""

    name: str
    role: Role = Role.CLIENT
    limits: Limits = field(default_factory=Limits)

    @property
    def lists(self) -> str | None:
        """The tenant whose jobs this one lists; None: every job (an admin)."""
        return None if self.role is Role.ADMIN else self.name

    def sees(self, job_tenant: str | None) -> bool:
        """Whether a job of ``job_tenant`` exists for this tenant (to read, cancel, resend)."""
        return self.role is Role.ADMIN or job_tenant == self.name


class Tenants:
    """Every tenant with the SHA-256 of each of its keys."""

    def __init__(self, keyed: Iterable[tuple[bytes, Tenant]]) -> None:
        # The same key twice for one tenant is harmless (X_API_KEY="a,a" always worked).
        self._keyed = tuple(
            {(digest, id(tenant)): (digest, tenant) for digest, tenant in keyed}.values()
        )
        digests = [digest for digest, _ in self._keyed]
        if len(set(digests)) != len(digests):
            raise ConfigError("TENANTS_FILE: one key belongs to two tenants (key_sha256)")
        names = [tenant.name for tenant in {id(t): t for _, t in self._keyed}.values()]
        if len(set(names)) != len(names):
            duplicate = next(name for name in names if names.count(name) > 1)
            raise ConfigError(
                f"TENANTS_FILE: two tenants are named {duplicate!r} (with X_API_KEY set, its"
                f" keys are the tenant {DEFAULT_TENANT!r})"
            )

    def tenant_for_key(self, key: str | None) -> Tenant | None:
        """The tenant ``key`` belongs to, or None; every stored hash is compared (constant time)."""
        presented = (key or "").strip()  # a pasted key often brings a space along
        if not presented:
            return None
        digest = hashlib.sha256(presented.encode()).digest()
        found = None
        for stored, tenant in self._keyed:
            if hmac.compare_digest(digest, stored):
                found = tenant
        return found


def load_tenants(settings: Settings) -> Tenants:
    """TENANTS_FILE's tenants, and X_API_KEY's (generated if neither is set) as ``default``."""
    keyed: list[tuple[bytes, Tenant]] = []
    if settings.tenants_file is None or settings.api_keys:
        default = Tenant(DEFAULT_TENANT, Role.ADMIN)
        keyed += [(_sha256(key), default) for key in load_or_create_api_keys(settings)]
    if settings.tenants_file is not None:
        keyed += read_tenants_file(settings.tenants_file)
    return Tenants(keyed)


def read_tenants_file(path: Path) -> list[tuple[bytes, Tenant]]:
    """Each key hash of the file with its tenant; ConfigError naming the entry and field."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            raise ConfigError(f"TENANTS_FILE: {path} must end in .toml or .json")
    except (OSError, ValueError) as exc:  # tomllib's and json's decode errors are ValueErrors
        raise ConfigError(f"TENANTS_FILE: cannot read {path}: {exc}") from exc
    entries = data.get("tenants") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"TENANTS_FILE: {path} lists no tenants (a 'tenants' list)")
    keyed: list[tuple[bytes, Tenant]] = []
    for index, entry in enumerate(entries):
        keyed += _entry(entry, f"TENANTS_FILE: tenants[{index}]")
    return keyed


def _entry(entry: Any, where: str) -> list[tuple[bytes, Tenant]]:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a table of {', '.join(_FIELDS)}")
    if "key" in entry:
        raise ConfigError(f"{where}: store the key's SHA-256 as key_sha256, never the key")
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        raise ConfigError(f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(_FIELDS)})")
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(f"{where}.name: 1-64 letters, digits, '_', '.' or '-'; got {name!r}")
    try:
        role = Role(entry.get("role", Role.CLIENT.value))
    except ValueError:
        raise ConfigError(f"{where}.role: admin or client, got {entry['role']!r}") from None
    limits = {}
    for limit in _LIMITS:
        value = entry.get(limit)
        if value is not None and (type(value) is not int or value < 1):
            raise ConfigError(f"{where}.{limit}: a whole number of at least 1, got {value!r}")
        limits[limit] = value
    hashes = entry.get("key_sha256")
    hashes = [hashes] if isinstance(hashes, str) else hashes
    if (
        not isinstance(hashes, list)
        or not hashes
        or not all(isinstance(h, str) and _SHA256.fullmatch(h) for h in hashes)
    ):
        raise ConfigError(
            f"{where}.key_sha256: the SHA-256 of the key as 64 lowercase hex digits (or a list"
            ' of them), e.g. printf %s "$KEY" | sha256sum'
        )
    tenant = Tenant(name, role, Limits(**limits))
    return [(bytes.fromhex(h), tenant) for h in hashes]


def _sha256(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()
