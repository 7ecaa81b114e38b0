"""The file of a ``multipart/form-data`` body, streamed as it arrives (never spooled whole).

The file is the field named ``file``, else the first field with a file name; other fields are
read past and dropped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from framecast.errors import InputError

FIELD = "file"


@dataclass(frozen=True)
class FormFile:
    """The file field: its Content-Type ("" if the form gave none) and its bytes."""

    media_type: str
    chunks: AsyncIterator[bytes]


async def form_file(body: AsyncIterator[bytes], content_type: str) -> FormFile:
    """The file of a form whose header is ``content_type``; InputError if there is none."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise InputError("Content-Type: multipart/form-data without a boundary")
    reader = _Reader(boundary)
    async for chunk in body:
        reader.feed(chunk)
        if reader.found or reader.ended:
            break
    if not reader.found:
        raise InputError(f"body: the form has no file: send it as the field {FIELD!r}")

    async def chunks() -> AsyncIterator[bytes]:
        for piece in reader.take():
            yield piece
        while not reader.done:
            chunk = await anext(body, None)
            if chunk is None:
                raise InputError("body: the form ended inside its file")
            reader.feed(chunk)
            for piece in reader.take():
                yield piece

    return FormFile(reader.media_type, chunks())


class _Reader:
    """python-multipart's callbacks, keeping the chosen field's data until it is taken."""

    def __init__(self, boundary: bytes) -> None:
        self.found = False  # the file's headers have been read
        self.done = False  # ... and its last byte
        self.ended = False  # the form's closing boundary was read
        self.media_type = ""
        self._headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""
        self._current = False  # the part being read is the file
        self._pending: list[bytes] = []
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise InputError(f"body: not a valid multipart/form-data body ({exc})") from exc

    def take(self) -> list[bytes]:
        pending, self._pending = self._pending, []
        return pending

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, disposition = parse_options_header(self._headers.get(b"content-disposition", b""))
        is_file = disposition.get(b"name") == FIELD.encode() or b"filename" in disposition
        self._current = is_file and not self.found
        if self._current:
            self.found = True
            self.media_type = self._headers.get(b"content-type", b"").decode("latin-1").strip()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current:
            self._pending.append(data[start:end])

    def _part_end(self) -> None:
        if self._current:
            self._current, self.done = False, True

    def _end(self) -> None:
        self.ended = True
