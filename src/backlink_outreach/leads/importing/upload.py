"""The import's request body, received as a stream into a temporary file (deleted afterwards):
a `text/csv` body is the file itself; a `multipart/form-data` body has the file as its field
`file`, and may carry the fields `dry_run` and `mapping`.

The file goes to disk, not to memory, and nothing is parsed as it arrives, so the database's
write transaction starts only once the whole file is here (on SQLite, one writer at a time: a
slow upload must not hold the others up). The size limit is `MAX_IMPORT_BYTES`, counted on the
raw stream by `middleware.BodySizeLimit` (413 `{"detail": "Request too large"}`).
"""

from __future__ import annotations

import codecs
import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.requests import Request

from ...errors import Unprocessable

FILE_FIELD = "file"
FORM_FIELDS = ("dry_run", "mapping")
# A form field is a flag or a small JSON object; nothing legitimate comes near this.
MAX_FORM_FIELD_BYTES = 64 * 1024
# Content types that are the file itself (spreadsheets and browsers name CSV several ways).
CSV_TYPES = frozenset(
    {
        b"",
        b"text/csv",
        b"text/plain",
        b"text/tab-separated-values",
        b"application/csv",
        b"application/vnd.ms-excel",
        b"application/octet-stream",
    }
)
_HEAD_BYTES = 4
_CHECK_BYTES = 64 * 1024


@dataclass
class Upload:
    path: Path
    head: bytes = b""  # the first bytes, for a byte order mark
    valid_utf8: bool = True  # every byte so far decodes as UTF-8
    size: int = 0
    fields: dict[str, str] = field(default_factory=dict)  # the form's other fields


class _Spool:
    """Writes the file's bytes, keeping its first bytes and whether it is all UTF-8."""

    def __init__(self, file: IO[bytes], upload: Upload) -> None:
        self.file = file
        self.upload = upload
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")

    def write(self, data: bytes) -> None:
        if not data:
            return
        upload = self.upload
        if len(upload.head) < _HEAD_BYTES:
            upload.head = (upload.head + data)[:_HEAD_BYTES]
        if upload.valid_utf8:
            # In slices: the decoded text is thrown away, and must not be a copy of a large
            # chunk (an in-process client sends the whole body as one).
            view = memoryview(data)
            try:
                for start in range(0, len(view), _CHECK_BYTES):
                    self._utf8.decode(view[start : start + _CHECK_BYTES])
            except UnicodeDecodeError:
                upload.valid_utf8 = False
        upload.size += len(data)
        self.file.write(data)

    def finish(self) -> None:
        if self.upload.valid_utf8:
            try:
                self._utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                self.upload.valid_utf8 = False
        self.file.flush()


class _FormParts:
    """python-multipart's callbacks: the `file` field to the spool, the small fields kept."""

    def __init__(self, spool: _Spool) -> None:
        self.spool = spool
        self.files = 0
        self.ended = False
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._disposition = b""
        self._name = ""
        self._value = bytearray()

    def on_part_begin(self) -> None:
        self._disposition = b""
        self._name = ""
        self._value.clear()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self._header_name).lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        _kind, params = parse_options_header(self._disposition)
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        if self._name == FILE_FIELD:
            self.files += 1
            if self.files > 1:
                raise Unprocessable(
                    "Send one file per import.", "too_many_files", ["body", FILE_FIELD]
                )

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._name == FILE_FIELD:
            self.spool.write(data[start:end])
        elif self._name in FORM_FIELDS:
            self._value += data[start:end]
            if len(self._value) > MAX_FORM_FIELD_BYTES:
                raise Unprocessable(
                    f"The field {self._name} is too long.", "too_long", ["body", self._name]
                )

    def on_part_end(self) -> None:
        if self._name in FORM_FIELDS:
            self.spool.upload.fields[self._name] = bytes(self._value).decode("utf-8", "replace")

    def on_end(self) -> None:
        self.ended = True


def _bad_body(msg: str, type_: str = "value_error") -> Unprocessable:
    return Unprocessable(msg, type_, ["body"])


async def _receive_form(request: Request, boundary: bytes, spool: _Spool) -> None:
    parts = _FormParts(spool)
    callbacks = {
        name: getattr(parts, name)
        for name in (
            "on_part_begin",
            "on_part_data",
            "on_part_end",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
            "on_end",
        )
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FormParserError:
        raise _bad_body("The multipart body cannot be read.") from None
    if not parts.ended:
        raise _bad_body("The multipart body ends before its closing boundary.")
    if parts.files == 0:
        raise Unprocessable(
            "Send the CSV file in the multipart field `file`.", "missing", ["body", FILE_FIELD]
        )


@contextlib.asynccontextmanager
async def receive(request: Request) -> AsyncIterator[Upload]:
    """The body's file on disk, for the block; removed afterwards, also on an error."""
    kind, params = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" and kind not in CSV_TYPES:
        raise _bad_body(
            "Send the CSV file as a text/csv body, or as the multipart/form-data field `file`.",
            "content_type",
        )
    with tempfile.NamedTemporaryFile(prefix="bo-import-", suffix=".csv") as file:
        upload = Upload(path=Path(file.name))
        spool = _Spool(file, upload)
        if kind == b"multipart/form-data":
            boundary = params.get(b"boundary")
            if not boundary:
                raise _bad_body("The multipart body has no boundary in its Content-Type.")
            await _receive_form(request, boundary, spool)
        else:
            async for chunk in request.stream():
                spool.write(chunk)
        spool.finish()
        yield upload


def copy_received(source: IO[bytes], path: Path) -> Upload:
    """A file that a web form's parser already received, copied to `path` in chunks as the
    importer reads an upload (its first bytes and whether it is all UTF-8 noted on the way)."""
    upload = Upload(path=path)
    with open(path, "wb") as file:
        spool = _Spool(file, upload)
        while chunk := source.read(1024 * 1024):
            spool.write(chunk)
        spool.finish()
    return upload
