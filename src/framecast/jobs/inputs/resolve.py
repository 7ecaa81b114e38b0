"""At submission: a job's input URLs checked, and rewritten into what its worker fetches.

Every operation's plan carries its media URLs in its items' sources and its options. An input
URL of this service is checked there once (it exists, it is the tenant's, it outlives the
job's deadline) and replaced by a URL the worker may fetch without the client's key: a
presigned GET of the bucket, or the API's own URL signed until the job's deadline. The field
named in a refusal is found in the client's body, where the URL was written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from framecast.contracts.plan import NewItem, Plan
from framecast.errors import Gone, NotFound
from framecast.jobs.inputs.links import InputLinks, own_input_id
from framecast.jobs.inputs.store import Input, InputStore
from framecast.storage.base import Storage


@dataclass(frozen=True)
class InputResolver:
    """What resolving one submission's inputs needs."""

    database: Path  # the job database, whose ``inputs`` table is read
    storage: Storage
    links: InputLinks
    own_bases: tuple[str, ...]  # the addresses this service is reached at
    worker_base_url: str  # where workers reach the API
    sees: Callable[[str], bool]  # whether the submitting tenant may use a tenant's input

    def resolve(self, plan: Plan, body: dict[str, Any], now: float, fetch_until: float) -> Plan:
        """``plan`` with each input URL of ``body`` replaced by one its worker fetches until
        ``fetch_until`` (the job's deadline and grace); NotFound, Gone or InputError naming
        the field of the first input that can't be used."""
        urls = self.worker_urls(body, now, fetch_until)
        if not urls:
            return plan  # no input named: nothing to rewrite
        items = [NewItem(item.client_id, self.rewritten(item.source, urls)) for item in plan.items]
        return replace(plan, items=items, options=self.rewritten(plan.options, urls))

    def worker_urls(self, body: dict[str, Any], now: float, fetch_until: float) -> dict[str, str]:
        """Input id → the URL a worker fetches it at, for each input URL in ``body``, checked
        in the body's order (the first bad one is the one named)."""
        fields: dict[str, str] = {}
        for field, text in strings(body):
            input_id = own_input_id(text, self.own_bases)
            if input_id is not None:
                fields.setdefault(input_id, field)
        if not fields:
            return {}
        urls: dict[str, str] = {}
        with InputStore(self.database) as store:
            for input_id, field in fields.items():
                record = self._usable(store, input_id, field, now, fetch_until)
                presigned = self.storage.presign_get(record.key, fetch_until)
                urls[input_id] = presigned or self.links.signed_url(
                    self.worker_base_url, input_id, fetch_until
                )
        return urls

    def rewritten(self, value: Any, urls: dict[str, str]) -> Any:
        """``value`` (JSON-like) with the input URLs of ``urls`` replaced."""
        if isinstance(value, str):
            input_id = own_input_id(value, (*self.own_bases, self.worker_base_url))
            return urls.get(input_id, value) if input_id is not None else value
        if isinstance(value, dict):
            return {key: self.rewritten(item, urls) for key, item in value.items()}
        if isinstance(value, list):
            return [self.rewritten(item, urls) for item in value]
        return value

    def _usable(
        self, store: InputStore, input_id: str, field: str, now: float, fetch_until: float
    ) -> Input:
        record = store.get(input_id)
        if record is None or not self.sees(record.tenant):
            raise NotFound(f"{field}: no input {input_id} (expired inputs are deleted)")
        if record.is_expired(now):
            raise Gone(f"{field}: input {input_id} expired at {iso(record.expires_at)}")
        # Named by a job: kept as long as that job's worker may fetch it, whatever its ttl.
        store.keep_until(input_id, fetch_until)
        return record


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a request body with its field path (``images[0].image_url``)."""
    if isinstance(value, str):
        yield path or "body", value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, f"{path}[{index}]")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")
