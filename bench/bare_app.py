"""The ceiling for the load benchmark: a bare FastAPI endpoint that returns a constant."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}
