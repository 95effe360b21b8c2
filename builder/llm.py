"""JSON from any OpenAI-compatible endpoint, validated, cached, retried and accounted.

Servers differ in how they constrain output: OpenAI and vLLM take ``json_schema``, llama.cpp takes
``json_object`` with a ``schema`` and answers ``json_schema`` with HTTP 500, others only plain
``json_object``. ``structured="auto"`` probes once and keeps the first mode that works; the schema is
always in the prompt too, and every answer is checked with jsonschema whatever the server promised.

The cache holds every raw answer, keyed by model, messages, schema, parameters and attempt number, so
a rerun or a resumed run replays the same answers (and the same rejections) without a request.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import jsonschema

from builder.workspace import write_atomic

MODES = ("json_schema", "json_object_schema", "json_object", "prompt")
RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class LLMError(RuntimeError):
    """The endpoint cannot be used (down, refused, wrong model or key): the run stops."""


class LLMOutputError(ValueError):
    """Every attempt gave an answer that is not valid JSON of the asked shape: this one job is rejected."""


@dataclass
class LLMConfig:
    base_url: str
    model: str
    api_key: str = "not-needed"
    temperature: float = 0.0
    max_tokens: int = 400
    concurrency: int = 4
    retries: int = 4            # transport retries per request (429, 5xx, timeouts, refused connections)
    attempts: int = 3           # answers asked for before a job is rejected as invalid
    timeout: float = 120.0
    structured: str = "auto"    # auto or one of MODES
    price_in: float = 0.0       # currency units per million prompt tokens
    price_out: float = 0.0      # ... per million completion tokens
    backoff: float = 0.5

    @classmethod
    def from_env(cls, base_url: str | None = None, model: str | None = None, api_key: str | None = None,
                 **kw) -> "LLMConfig":
        """Options first, then MEDBENCH_LLM_* and OPENAI_* variables."""
        env = os.environ.get
        base_url = base_url or env("MEDBENCH_LLM_BASE_URL") or env("OPENAI_BASE_URL")
        model = model or env("MEDBENCH_LLM_MODEL")
        if not base_url or not model:
            raise LLMError("an LLM needs a base URL and a model: pass --llm-url and --llm-model "
                           "(or set MEDBENCH_LLM_BASE_URL and MEDBENCH_LLM_MODEL)")
        key = api_key or env("MEDBENCH_LLM_API_KEY") or env("OPENAI_API_KEY") or "not-needed"
        return cls(base_url=base_url.rstrip("/"), model=model, api_key=key, **kw)

    def parameters(self) -> dict:
        """What shapes an answer (and so the cache key and an item's provenance); not transport."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens}

    def temperature_for(self, attempt: int) -> float:
        """A retry after an invalid answer samples (at temperature 0 it would repeat the answer)."""
        return self.temperature if attempt == 0 else max(self.temperature, 0.7)


@dataclass
class Usage:
    requests: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    transport_retries: int = 0
    invalid_answers: int = 0
    rejected_jobs: int = 0
    seconds: float = 0.0
    mode: str | None = None
    cost: float = 0.0
    by_purpose: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def prompt_hash(*parts) -> str:
    """Short fingerprint of a prompt template and schema, recorded as provenance."""
    return _hash(parts)[:16]


class LLM:
    def __init__(self, config: LLMConfig, cache_dir: Path | None = None):
        import openai
        self.config = config
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.usage = Usage(mode=None if config.structured == "auto" else config.structured)
        self._lock = threading.Lock()
        self._mode_lock = threading.Lock()
        self._openai = openai
        self._client = openai.OpenAI(base_url=config.base_url, api_key=config.api_key, max_retries=0,
                                     timeout=config.timeout)

    # -- public ------------------------------------------------------------------------------
    def json(self, messages: list[dict], schema: dict, seed: int = 0, check: Callable[[dict], str | None] | None = None,
             purpose: str = "other") -> dict:
        """The first valid answer among ``attempts``; ``check`` adds a semantic test (returns a reason or None)."""
        reasons = []
        for attempt in range(self.config.attempts):
            text, finish = self._answer(messages, schema, seed, attempt, purpose)
            try:
                if finish == "length":
                    raise ValueError(f"answer cut off at max_tokens={self.config.max_tokens}")
                data = json.loads(text, strict=False)  # a raw newline inside a string is no reason to reject
                jsonschema.validate(data, schema)
            except (ValueError, jsonschema.ValidationError) as exc:
                reasons.append(_short(exc))
            else:
                reason = check(data) if check else None
                if reason is None:
                    return data
                reasons.append(reason)
            with self._lock:
                self.usage.invalid_answers += 1
        with self._lock:
            self.usage.rejected_jobs += 1
        raise LLMOutputError(f"{self.config.model} gave no valid answer in {self.config.attempts} attempts: "
                             + "; ".join(reasons))

    def map_json(self, jobs: list[dict], concurrency: int | None = None) -> list[dict | LLMOutputError]:
        """Jobs (keyword arguments of ``json``) with bounded concurrency, results in job order.
        An endpoint failure (LLMError) stops the whole map; invalid answers come back as errors."""
        failed: list[LLMError] = []

        def run(job):
            if failed:  # the endpoint is gone: the jobs still queued fail at once, not after their retries
                raise failed[0]
            try:
                return self.json(**job)
            except LLMOutputError as exc:
                return exc
            except LLMError as exc:
                failed.append(exc)
                raise
        workers = max(1, concurrency or self.config.concurrency)
        if workers == 1 or len(jobs) <= 1:
            return [run(j) for j in jobs]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(run, jobs))

    def report(self) -> dict:
        u = self.usage
        u.cost = round(u.prompt_tokens * self.config.price_in / 1e6 + u.completion_tokens * self.config.price_out / 1e6, 6)
        return {"base_url": self.config.base_url, "model": self.config.model, **u.as_dict()}

    # -- one answer ----------------------------------------------------------------------------
    def _answer(self, messages, schema, seed, attempt, purpose) -> tuple[str, str | None]:
        key = _hash({"model": self.config.model, "messages": messages, "schema": schema,
                     "parameters": self.config.parameters(), "seed": seed, "attempt": attempt})
        path = self.cache_dir / key[:2] / f"{key}.json" if self.cache_dir else None
        if path is not None and path.exists():
            try:
                entry = json.loads(path.read_text("utf-8"))
                with self._lock:
                    self.usage.cached += 1
                    self.usage.mode = self.usage.mode or entry.get("mode")
                return entry["text"], entry.get("finish_reason")
            except (ValueError, KeyError):
                pass  # a damaged entry is asked again and rewritten
        mode = self._mode()
        started = time.monotonic()
        response = self._create(messages, schema, seed + 1000 * attempt, mode, self.config.temperature_for(attempt))
        choice = response.choices[0]
        text = choice.message.content or ""
        usage = response.usage
        with self._lock:
            u = self.usage
            u.requests += 1
            u.seconds += time.monotonic() - started
            u.prompt_tokens += getattr(usage, "prompt_tokens", 0) or 0
            u.completion_tokens += getattr(usage, "completion_tokens", 0) or 0
            u.by_purpose[purpose] = u.by_purpose.get(purpose, 0) + 1
        if path is not None:
            write_atomic(path, json.dumps({"model": self.config.model, "text": text, "finish_reason": choice.finish_reason,
                                           "mode": mode,
                                           "usage": usage.model_dump() if usage else None}).encode())
        return text, choice.finish_reason

    def _create(self, messages, schema, seed, mode, temperature):
        """One completion, retried with exponential backoff on rate limits, server errors and timeouts."""
        oa = self._openai
        delay = self.config.backoff
        for retry in range(self.config.retries + 1):
            try:
                return self._client.chat.completions.create(
                    model=self.config.model, messages=_with_schema(messages, schema, mode), seed=seed,
                    temperature=temperature, max_tokens=self.config.max_tokens,
                    **_response_format(mode, schema))
            except (oa.APITimeoutError, oa.APIConnectionError) as exc:
                last = exc
                transient = True
            except oa.APIStatusError as exc:
                last = exc
                transient = exc.status_code in RETRY_STATUS
                if exc.status_code in (401, 403):
                    raise LLMError(f"{self.config.base_url}: the server refused the API key ({exc.status_code})") from exc
                if exc.status_code == 404:
                    raise LLMError(f"{self.config.base_url}: no such endpoint or model '{self.config.model}' (404)") from exc
                if not transient:
                    raise LLMError(f"{self.config.base_url}: request refused ({exc.status_code}): {_short(exc)}") from exc
                wait = _retry_after(exc)
                if wait is not None:
                    delay = max(delay, wait)
            if retry == self.config.retries:
                break
            with self._lock:
                self.usage.transport_retries += 1
            time.sleep(delay * (1 + random.random() * 0.25))
            delay = min(delay * 2, 30.0)
        raise LLMError(f"{self.config.base_url}: no answer after {self.config.retries + 1} tries: {_short(last)}")

    def _mode(self) -> str:
        if self.usage.mode:
            return self.usage.mode
        with self._mode_lock:
            if self.usage.mode:
                return self.usage.mode
            self.usage.mode = self._probe()
            return self.usage.mode

    def _probe(self) -> str:
        """The first structured-output mode this server accepts and honours (one tiny request each)."""
        schema = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}},
                  "additionalProperties": False}
        messages = [{"role": "user", "content": 'Reply with the JSON object {"ok": true}.'}]
        oa = self._openai
        for mode in MODES:
            try:
                response = self._client.chat.completions.create(
                    model=self.config.model, messages=_with_schema(messages, schema, "prompt"), max_tokens=20,
                    temperature=0, **_response_format(mode, schema))
            except (oa.APITimeoutError, oa.APIConnectionError) as exc:
                raise LLMError(f"{self.config.base_url}: LLM server unreachable ({_short(exc)})") from exc
            except oa.APIStatusError as exc:
                if exc.status_code in (401, 403, 404):
                    return mode  # let the real request say what is wrong
                continue
            try:
                jsonschema.validate(json.loads(response.choices[0].message.content or ""), schema)
                return mode
            except (ValueError, jsonschema.ValidationError):
                continue
        return "prompt"


def _with_schema(messages: list[dict], schema: dict, mode: str) -> list[dict]:
    """The schema in the prompt, where the server does not enforce it (an enforced one costs tokens only)."""
    if mode in ("json_schema", "json_object_schema"):
        return messages
    note = "Answer with one JSON object only, valid against this JSON Schema:\n" + json.dumps(schema, ensure_ascii=False)
    if messages and messages[0]["role"] == "system":
        return [{"role": "system", "content": messages[0]["content"] + "\n\n" + note}] + messages[1:]
    return [{"role": "system", "content": note}] + messages


def _response_format(mode: str, schema: dict) -> dict:
    if mode == "json_schema":
        return {"response_format": {"type": "json_schema",
                                    "json_schema": {"name": "answer", "schema": schema}}}
    if mode == "json_object_schema":
        return {"response_format": {"type": "json_object", "schema": schema}}
    if mode == "json_object":
        return {"response_format": {"type": "json_object"}}
    return {}


def _retry_after(exc) -> float | None:
    try:
        value = exc.response.headers.get("retry-after")
        return min(float(value), 60.0) if value else None
    except (AttributeError, ValueError):
        return None


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "message", None) or exc).replace("\n", " ")
    return text[:200]
