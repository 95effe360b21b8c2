from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "dev"


def corpus_file(name: str) -> Path:
    path = CORPUS / name
    if not path.exists():
        pytest.fail(f"{path} is missing: the shared corpus must sit beside the project (../shared)")
    return path


def truth(name: str) -> dict:
    return json.loads(corpus_file(name).read_text("utf-8"))


def run_builder(*args: str, cwd: Path | None = None, check: bool = False, timeout: float = 600,
                env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "builder.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"builder {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def demo_pdf(tmp_path_factory) -> Path:
    from builder.demo import make_demo_book
    return make_demo_book(tmp_path_factory.mktemp("demo") / "demo-book.pdf")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LLM_MODEL = "smollm2"


@contextlib.contextmanager
def script_server(name: str, data: Path, env: dict, install_timeout: float = 900):
    """A real server that scripts/<name>.sh installs (once) and starts on a free loopback port, with its
    data and logs under ``data``; yields the port and what the start command printed (its URL)."""
    script = ROOT / "scripts" / f"{name}.sh"
    subprocess.run(["bash", str(script), "install"], check=True, timeout=install_timeout)
    port = free_port()
    env = {**os.environ, **env}
    started = subprocess.run(["bash", str(script), "start", str(port)], env=env, capture_output=True, text=True,
                             timeout=300)
    logs = "".join(p.read_text()[-2000:] for p in data.glob("*.log"))
    assert started.returncode == 0, started.stderr + logs
    try:
        yield port, started.stdout.strip()
    finally:
        subprocess.run(["bash", str(script), "stop", str(port)], env=env, timeout=60)


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory) -> str:
    """A real OpenAI-compatible server (llama.cpp, SmolLM2-135M from a PyPI package) on loopback."""
    data = tmp_path_factory.mktemp("llm")
    with script_server("llm-server", data, {"LLM_DATA": str(data), "LLM_ALIAS": LLM_MODEL}, 1800) as (_, url):
        yield url
