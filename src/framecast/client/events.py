"""Server-Sent Events as a job's stream sends them: the event type, and a reader of the lines.

The reader follows the parts of the SSE format the service uses (``event:``, ``data:``, ``id:``,
``retry:``, ``:`` comments), as the WHATWG spec reads them: an event is dispatched at a blank
line, several ``data:`` lines are joined with newlines, and the last ``id:`` seen is kept even
across events without one (it is what a reconnect sends back as ``Last-Event-ID``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from framecast.client.errors import ClientError

END = "end"  # the last event of a job's stream: its data is the job


@dataclass(frozen=True)
class Event:
    """One event of a job's stream: ``progress``, ``video``, ``failed`` or ``end``."""

    name: str
    data: dict[str, Any]
    id: str | None  # the stream's position after this event: send it back to resume


class EventReader:
    """Turns a stream's lines into events; keeps the last id and the server's retry delay."""

    def __init__(self, last_event_id: str | None = None) -> None:
        self.last_event_id = last_event_id
        self.retry_seconds: float | None = None
        self._name = ""
        self._data: list[str] = []

    def read(self, lines: Iterable[str]) -> Iterator[Event]:
        """The events of ``lines`` (without their line ends), each once it is complete."""
        for line in lines:
            event = self._line(line)
            if event is not None:
                yield event

    def _line(self, line: str) -> Event | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment: the service's keep-alive
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            self._name = value
        elif field == "data":
            self._data.append(value)
        elif field == "id" and "\0" not in value:
            self.last_event_id = value
        elif field == "retry" and value.isdigit():
            self.retry_seconds = int(value) / 1000
        return None

    def _dispatch(self) -> Event | None:
        name, data = self._name or "message", self._data
        self._name, self._data = "", []
        if not data:
            return None  # the spec dispatches nothing for an event without data
        text = "\n".join(data)
        try:
            return Event(name, json.loads(text), self.last_event_id)
        except ValueError as exc:
            shown = text[:200]
            raise ClientError(
                f"the events stream sent {name!r} data that is not JSON: {shown!r}"
            ) from exc
