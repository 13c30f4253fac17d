"""Any OpenAI-compatible chat endpoint, asked for one JSON object. Used by the email writer and
the reply classifier's second opinion.

Every failure (timeout, connection error, error status, an answer that is not a JSON object)
raises `LlmFailure` with a short reason code, safe to log; callers fall back to their rules.
Neither prompts nor answers are logged: they hold message bodies.
"""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

from .config import Settings

# One retry absorbs a blip; more would keep the caller waiting when its fallback can answer.
MAX_RETRIES = 1
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


class LlmFailure(Exception):
    """The model gave no usable answer; `reason` is a short code safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_configured(settings: Settings) -> bool:
    return bool(settings.llm_base_url and settings.llm_model)


async def ask_json(
    settings: Settings,
    system: str,
    task: str,
    *,
    temperature: float,
    schema: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The model's answer to `task` as a JSON object. With `schema`, the request asks for
    structured output (`response_format: json_schema`, strict); servers that ignore it are still
    held to the shape by the caller's own check."""
    key = settings.llm_api_key
    extra: dict[str, Any] = {}
    if schema is not None:
        extra["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "answer", "strict": True, "schema": schema},
        }
    # The SDK takes seconds to import; every process (each `serve`, `worker` and CLI run) paid
    # for it at start-up, while most deployments never configure a model.
    openai = importlib.import_module("openai")
    try:
        async with openai.AsyncOpenAI(
            base_url=settings.llm_base_url,
            # Local servers (Ollama, llama.cpp) need no key, but the SDK insists on one.
            api_key=key.get_secret_value() if key else "not-needed",
            timeout=settings.llm_timeout_seconds,
            max_retries=MAX_RETRIES,
        ) as client:
            completion = await client.chat.completions.create(
                model=settings.llm_model or "",
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": task},
                ],
                temperature=temperature,
                **extra,
            )
    except openai.APITimeoutError:
        raise LlmFailure("timeout") from None
    except openai.APIStatusError as exc:
        raise LlmFailure(f"status_{exc.status_code}") from None
    except openai.APIError as exc:
        raise LlmFailure(type(exc).__name__) from None  # e.g. APIConnectionError
    except ValueError:
        # A 200 whose body is not JSON: the SDK lets the decoder's error through.
        raise LlmFailure("invalid_response") from None
    try:
        # The SDK builds response objects without validating them: trust no shape.
        content = completion.choices[0].message.content
    except (AttributeError, IndexError, KeyError, TypeError):
        content = None
    if not isinstance(content, str) or not content.strip():
        raise LlmFailure("empty_answer")
    return parse_object(content)


def parse_object(content: str) -> dict[str, Any]:
    text = _FENCE.sub("", content.strip())
    try:
        value = json.loads(text)
    except ValueError:
        # Some models wrap the object in a sentence; try the outermost braces once.
        start, end = text.find("{"), text.rfind("}")
        try:
            value = json.loads(text[start : end + 1]) if 0 <= start < end else None
        except ValueError:
            value = None
    if not isinstance(value, dict):
        raise LlmFailure("invalid_json")
    return value
