"""A small OpenAI-compatible chat server on loopback: real HTTP, scripted answers."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeLlm:
    """`mode`: "answer" (200, a completion with `content`), "raw" (200, `content` as the whole
    HTTP body), "hang" (never answers), "status" (`status`, an error body)."""

    mode: str = "answer"
    content: str = ""
    status: int = 500
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    port: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def answer(self, value: Any) -> None:
        self.mode = "answer"
        self.content = value if isinstance(value, str) else json.dumps(value)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {
                k.strip().lower(): v.strip()
                for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            if method != "POST" or path != "/v1/chat/completions":
                await self.send(writer, 404, {"error": {"message": "not found"}})
                return
            self.requests.append(json.loads(body))
            self.headers.append(headers)
            if self.mode == "hang":
                await self.release.wait()
            elif self.mode == "raw":
                await self.send(writer, 200, self.content)
            elif self.mode == "status":
                await self.send(writer, self.status, {"error": {"message": "boom", "type": "x"}})
            else:
                await self.send(writer, 200, completion(self.content))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    @staticmethod
    async def send(
        writer: asyncio.StreamWriter, status: int, payload: dict[str, Any] | str
    ) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            # Makes the SDK's one retry immediate instead of a backoff sleep.
            "retry-after-ms: 1\r\nConnection: close\r\n"
            f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
        await writer.drain()


def completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@contextlib.asynccontextmanager
async def fake_llm() -> AsyncIterator[FakeLlm]:
    llm = FakeLlm()
    server = await asyncio.start_server(llm.handle, "127.0.0.1", 0)
    llm.port = server.sockets[0].getsockname()[1]
    try:
        yield llm
    finally:
        llm.release.set()
        server.close()
        await server.wait_closed()
