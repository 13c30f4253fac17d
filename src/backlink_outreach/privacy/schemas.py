from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..validation import EmailAddress


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[EmailAddress, Field(json_schema_extra={"format": "email"})] = Field(
        description="The address to erase from the caller's current workspace (not a "
        "`*@domain` entry)."
    )


class ErasureResult(BaseModel):
    """How many rows of each kind held the address (and no longer do)."""

    leads: int
    attempts: int
    replies: int
