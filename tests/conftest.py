from __future__ import annotations

import json
import os
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
