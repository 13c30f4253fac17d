"""The import's answer: bulk add's `{added, skipped, failed[]}` and what each column gave."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ImportColumns(BaseModel):
    mapped: dict[str, str] = Field(description="CSV header -> the lead field it gave.")
    ignored: list[str] = Field(description="The headers no field was read from.")


class ImportResult(BaseModel):
    added: int
    skipped: int = Field(
        description="Valid rows whose domain was already in the campaign or earlier in the file."
    )
    failed: list[str] = Field(
        description='One string per invalid row: `"<index>: <field>: <message>"`, the index '
        "counting data rows from 0 (the header excluded)."
    )
    columns: ImportColumns
