"""A received CSV file's encoding and delimiter, and its rows one at a time.

Encodings: a byte order mark says UTF-8 or UTF-16 (Excel's "Unicode text"); without one the file
is UTF-8 when every byte of it decodes as UTF-8 (`upload` checks that while it receives it),
else Windows-1252, what Excel writes for "CSV" on Windows. Delimiters: `,`, `;` or tab, sniffed
from the first lines (an Excel `sep=;` first line says it outright).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from ...errors import Unprocessable
from .upload import Upload

DELIMITERS = (",", ";", "\t")
_SAMPLE_CHARS = 64 * 1024
_SAMPLE_ROWS = 20


def encoding_of(upload: Upload) -> str:
    head = upload.head
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the codec reads the mark and its byte order
    # "utf-8-sig" reads a file without the mark as plain UTF-8.
    return "utf-8-sig" if upload.valid_utf8 else "cp1252"


def _records(sample: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    records: list[list[str]] = []
    with contextlib.suppress(csv.Error):
        for record in reader:
            if record:
                records.append(record)
            if len(records) > _SAMPLE_ROWS:
                break
    return records


def sniff_delimiter(sample: str, truncated: bool) -> str:
    """The delimiter that splits the header into the most columns and the next rows into as
    many; `,` when none splits anything (a one-column file)."""
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        records = _records(sample, delimiter)
        if truncated and len(records) > 1:
            records = records[:-1]  # the sample may end inside the last record
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        rest = records[1:]
        steady = sum(len(r) == width for r in rest) / len(rest) if rest else 1.0
        score = (steady, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (index among data rows from 0, cells)


def _rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """The data rows, numbered from 0 after the header; a row that cannot be read: 422."""
    index = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise Unprocessable(f"Row {index} cannot be read as CSV: {exc}.", "csv_error") from None
        except UnicodeDecodeError:
            raise _not_text() from None
        yield index, cells
        index += 1


def _not_text() -> Unprocessable:
    return Unprocessable(
        "The file is not text in UTF-8, UTF-16 or Windows-1252: save it as CSV.", "encoding"
    )


@contextlib.contextmanager
def open_table(upload: Upload) -> Iterator[Table]:
    """The file's header row and an iterator over its data rows (blank lines are no rows)."""
    encoding = encoding_of(upload)
    errors = "replace" if encoding == "cp1252" else "strict"  # five bytes cp1252 leaves undefined
    try:
        with open(upload.path, encoding=encoding, errors=errors, newline="") as sample_file:
            sample = sample_file.read(_SAMPLE_CHARS)
            truncated = bool(sample_file.read(1))
    except UnicodeDecodeError:
        raise _not_text() from None
    first_line = sample.split("\n", 1)[0].rstrip("\r")
    stated = first_line[4:] if first_line.lower().startswith("sep=") else ""
    skip_first = stated in DELIMITERS
    delimiter = stated if skip_first else sniff_delimiter(sample, truncated)
    with open(upload.path, encoding=encoding, errors=errors, newline="") as file:
        if skip_first:
            file.readline()
        reader = (cells for cells in csv.reader(file, delimiter=delimiter) if cells)
        try:
            headers = next(reader)
        except StopIteration:
            raise Unprocessable(
                "The file is empty: it needs a header row, then a row per lead.", "empty_file"
            ) from None
        except csv.Error as exc:
            raise Unprocessable(
                f"The header row cannot be read as CSV: {exc}.", "csv_error"
            ) from None
        except UnicodeDecodeError:
            raise _not_text() from None
        yield Table(headers=[h.strip() for h in headers], rows=_rows(reader))
