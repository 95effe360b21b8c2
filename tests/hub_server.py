"""A Hub-protocol test server on loopback: enough of the Hugging Face Hub's HTTP API for the real
``huggingface_hub`` client to create a dataset repo, upload a folder (regular and LFS files, NDJSON
commits), tag it, and for ``datasets.load_dataset(repo, revision=tag)`` to read it back.

No Hub is reachable from here and none can be installed, so the tests start this one. It keeps
everything in memory; it is test infrastructure, not a product.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse


class Repo:
    def __init__(self, repo_id: str):
        self.id = repo_id
        self.commits: dict[str, dict[str, str]] = {}     # commit oid -> {path: blob key}
        self.refs: dict[str, str] = {}                    # branch or tag -> commit oid
        self.tags: set[str] = set()
        empty = hashlib.sha1(f"{repo_id}:init".encode()).hexdigest()
        self.commits[empty] = {}
        self.refs["main"] = empty

    def resolve(self, rev: str) -> str | None:
        rev = unquote(rev)
        if rev in self.refs:
            return self.refs[rev]
        if rev in self.commits:
            return rev
        return None


class Hub:
    def __init__(self):
        self.repos: dict[str, Repo] = {}
        self.blobs: dict[str, bytes] = {}     # sha256 (lfs) or git sha1 key -> content
        self.lfs: set[str] = set()
        self.lock = threading.Lock()


def _git_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Handler(BaseHTTPRequestHandler):
    hub: Hub
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    # -- helpers ------------------------------------------------------------------------------
    def _send(self, code: int, body=b"", ctype="application/json", headers: dict | None = None, head=False):
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _repo(self, repo_id: str) -> Repo | None:
        return self.hub.repos.get(repo_id)

    # -- routing ------------------------------------------------------------------------------
    def do_HEAD(self):
        self._get(head=True)

    def do_GET(self):
        self._get(head=False)

    def _get(self, head: bool):
        url = urlparse(self.path)
        path = unquote(url.path)
        m = re.match(r"^/datasets/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$", path)
        if m:
            return self._resolve(m.group(1), m.group(2), m.group(3), head)
        m = re.match(r"^/api/datasets/([^/]+/[^/]+)/revision/([^/]+)$", path)
        if m:
            return self._info(m.group(1), m.group(2))
        m = re.match(r"^/api/datasets/([^/]+/[^/]+)$", path)
        if m:
            return self._info(m.group(1), "main")
        m = re.match(r"^/api/datasets/([^/]+/[^/]+)/tree/([^/]+)(?:/(.*))?$", path)
        if m:
            return self._tree(m.group(1), m.group(2), m.group(3) or "", parse_qs(url.query))
        m = re.match(r"^/api/datasets/([^/]+/[^/]+)/refs$", path)
        if m:
            repo = self._repo(m.group(1))
            if repo is None:
                return self._send(404, {"error": "Repository not found"})
            return self._send(200, {"branches": [{"name": "main", "ref": "refs/heads/main", "targetCommit": repo.refs["main"]}],
                                    "tags": [{"name": t, "ref": f"refs/tags/{t}", "targetCommit": repo.refs[t]}
                                             for t in sorted(repo.tags)], "converts": []})
        m = re.match(r"^/lfs-upload/([0-9a-f]{64})$", path)
        return self._send(404, {"error": f"no route for GET {path}"})

    def do_PUT(self):
        m = re.match(r"^/lfs-upload/([0-9a-f]{64})$", urlparse(self.path).path)
        if not m:
            return self._send(404, {"error": "no route"})
        data = self._body()
        if hashlib.sha256(data).hexdigest() != m.group(1):
            return self._send(400, {"error": "sha256 mismatch"})
        with self.hub.lock:
            self.hub.blobs[m.group(1)] = data
            self.hub.lfs.add(m.group(1))
        return self._send(200, {})

    def do_POST(self):
        url = urlparse(self.path)
        path = unquote(url.path)
        if path == "/api/repos/create":
            body = json.loads(self._body() or b"{}")
            name = body.get("name")
            org = body.get("organization") or "user"
            repo_id = f"{org}/{name}" if "/" not in name else name
            url_ = f"http://{self.headers['Host']}/datasets/{repo_id}"
            with self.hub.lock:
                if repo_id in self.hub.repos:
                    return self._send(409, {"error": "You already created this dataset repo", "url": url_})
                self.hub.repos[repo_id] = Repo(repo_id)
            return self._send(200, {"url": url_, "name": repo_id, "id": repo_id})
        if path == "/api/validate-yaml":
            self._body()
            return self._send(200, {"errors": [], "warnings": []})
        if path == "/api/whoami-v2":
            return self._send(200, {"name": "user", "type": "user", "auth": {"accessToken": {"role": "write"}}})
        m = re.match(r"^/api/datasets/([^/]+/[^/]+)/preupload/([^/]+)$", path)
        if m:
            body = json.loads(self._body() or b"{}")
            files = []
            for f in body.get("files", []):
                mode = "lfs" if (f["path"].endswith((".parquet", ".png", ".jpg", ".jsonl")) or f.get("size", 0) > 1_000_000) else "regular"
                files.append({"path": f["path"], "uploadMode": mode, "shouldIgnore": False})
            return self._send(200, {"files": files, "commitOid": None})
        m = re.match(r"^/datasets/([^/]+/[^/]+)\.git/info/lfs/objects/batch$", path)
        if m:
            body = json.loads(self._body() or b"{}")
            host = self.headers["Host"]
            objects = []
            for o in body.get("objects", []):
                entry = {"oid": o["oid"], "size": o["size"], "authenticated": True}
                if o["oid"] not in self.hub.blobs:
                    entry["actions"] = {"upload": {"href": f"http://{host}/lfs-upload/{o['oid']}", "header": {}}}
                objects.append(entry)
            return self._send(200, {"transfer": "basic", "objects": objects, "hash_algo": "sha256"},
                              ctype="application/vnd.git-lfs+json")
        m = re.match(r"^/api/datasets/([^/]+/[^/]+)/commit/([^/]+)$", path)
        if m:
            return self._commit(m.group(1), m.group(2))
        m = re.match(r"^/api/datasets/([^/]+/[^/]+)/tag/([^/]+)$", path)
        if m:
            repo = self._repo(m.group(1))
            body = json.loads(self._body() or b"{}")
            oid = repo.resolve(m.group(2)) if repo else None
            if oid is None:
                return self._send(404, {"error": "Revision not found"})
            if body["tag"] in repo.refs:
                return self._send(409, {"error": f"tag {body['tag']} exists"})
            with self.hub.lock:
                repo.refs[body["tag"]] = oid
                repo.tags.add(body["tag"])
            return self._send(200, {})
        m = re.match(r"^/api/datasets/([^/]+/[^/]+)/paths-info/([^/]+)$", path)
        if m:
            raw = self._body()
            ctype = self.headers.get("Content-Type", "")
            if "json" in ctype:
                payload = json.loads(raw or b"{}")
                paths = payload.get("paths", [])
            else:
                form = parse_qs(raw.decode())
                paths = form.get("paths", [])
            paths = [p for item in paths for p in ([item] if isinstance(item, str) else item)]
            return self._paths_info(m.group(1), m.group(2), paths)
        return self._send(404, {"error": f"no route for POST {path}"})

    # -- endpoints ----------------------------------------------------------------------------
    def _commit(self, repo_id: str, rev: str):
        repo = self._repo(repo_id)
        if repo is None:
            return self._send(404, {"error": "Repository not found"})
        lines = [json.loads(l) for l in self._body().splitlines() if l.strip()]
        with self.hub.lock:
            parent = repo.resolve(rev) or repo.refs["main"]
            files = dict(repo.commits[parent])
            for line in lines:
                kind, value = line.get("key"), line.get("value", {})
                if kind == "file":
                    data = base64.b64decode(value["content"]) if value.get("encoding") == "base64" else value["content"].encode()
                    key = _git_oid(data)
                    self.hub.blobs[key] = data
                    files[value["path"]] = key
                elif kind == "lfsFile":
                    if value["oid"] not in self.hub.blobs:
                        return self._send(422, {"error": f"lfs object {value['oid']} was not uploaded"})
                    files[value["path"]] = value["oid"]
                elif kind in ("deletedFile", "deletedFolder"):
                    prefix = value["path"]
                    files = {p: k for p, k in files.items() if not (p == prefix or p.startswith(prefix.rstrip("/") + "/"))}
            oid = hashlib.sha1(f"{repo_id}:{parent}:{time.time_ns()}".encode()).hexdigest()
            repo.commits[oid] = files
            branch = unquote(rev) if unquote(rev) in repo.refs and unquote(rev) not in repo.tags else "main"
            repo.refs[branch] = oid
        host = self.headers["Host"]
        return self._send(200, {"commitUrl": f"http://{host}/datasets/{repo_id}/commit/{oid}", "commitOid": oid,
                                "pullRequestUrl": None})

    def _entry(self, repo: Repo, files: dict, path: str, expand: bool = False) -> dict:
        key = files[path]
        data = self.hub.blobs[key]
        entry = {"type": "file", "path": path, "size": len(data), "oid": _git_oid(data)}
        if key in self.hub.lfs:
            entry["lfs"] = {"oid": key, "size": len(data), "pointerSize": 134}
        return entry

    def _files(self, repo_id: str, rev: str):
        repo = self._repo(repo_id)
        if repo is None:
            return None, None, None
        oid = repo.resolve(rev)
        return repo, oid, (repo.commits[oid] if oid else None)

    def _info(self, repo_id: str, rev: str):
        repo, oid, files = self._files(repo_id, rev)
        if repo is None:
            return self._send(404, {"error": "Repository not found"}, headers={"X-Error-Code": "RepoNotFound"})
        if files is None:
            return self._send(404, {"error": "Revision not found"}, headers={"X-Error-Code": "RevisionNotFound"})
        return self._send(200, {"id": repo_id, "_id": repo_id, "sha": oid, "private": False, "disabled": False,
                                "gated": False, "downloads": 0, "likes": 0, "tags": [], "author": repo_id.split("/")[0],
                                "lastModified": "2026-01-01T00:00:00.000Z", "createdAt": "2026-01-01T00:00:00.000Z",
                                "siblings": [{"rfilename": p} for p in sorted(files)], "cardData": {}})

    def _tree(self, repo_id: str, rev: str, prefix: str, query: dict):
        repo, oid, files = self._files(repo_id, rev)
        if files is None:
            return self._send(404, {"error": "Revision not found"})
        recursive = query.get("recursive", ["false"])[0].lower() in ("true", "1")
        prefix = prefix.strip("/")
        out, dirs = [], set()
        for p in sorted(files):
            if prefix and not p.startswith(prefix + "/"):
                continue
            rest = p[len(prefix) + 1:] if prefix else p
            if "/" in rest and not recursive:
                d = (prefix + "/" if prefix else "") + rest.split("/")[0]
                if d not in dirs:
                    dirs.add(d)
                    out.append({"type": "directory", "path": d, "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0})
                continue
            if recursive:
                parts = rest.split("/")[:-1]
                for i in range(1, len(parts) + 1):
                    d = (prefix + "/" if prefix else "") + "/".join(parts[:i])
                    if d not in dirs:
                        dirs.add(d)
                        out.append({"type": "directory", "path": d, "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0})
            out.append(self._entry(repo, files, p))
        return self._send(200, out)

    def _paths_info(self, repo_id: str, rev: str, paths: list[str]):
        repo, oid, files = self._files(repo_id, rev)
        if files is None:
            return self._send(404, {"error": "Revision not found"})
        out = []
        for p in paths:
            p = p.strip("/")
            if p in files:
                out.append(self._entry(repo, files, p))
            elif any(f.startswith(p + "/") for f in files) or p == "":
                out.append({"type": "directory", "path": p, "oid": hashlib.sha1(p.encode()).hexdigest(), "size": 0})
        return self._send(200, out)

    def _resolve(self, repo_id: str, rev: str, path: str, head: bool):
        repo, oid, files = self._files(repo_id, rev)
        if repo is None:
            return self._send(404, {"error": "Repository not found"}, headers={"X-Error-Code": "RepoNotFound"}, head=head)
        if files is None or path not in files:
            return self._send(404, {"error": "Entry not found"}, headers={"X-Error-Code": "EntryNotFound"}, head=head)
        key = files[path]
        data = self.hub.blobs[key]
        etag = f'"{key}"'
        headers = {"X-Repo-Commit": oid, "ETag": etag, "Accept-Ranges": "bytes"}
        if key in self.hub.lfs:
            headers["X-Linked-Etag"] = etag
            headers["X-Linked-Size"] = str(len(data))
        rng = self.headers.get("Range")
        if rng and not head:
            m = re.match(r"bytes=(\d*)-(\d*)", rng)
            start = int(m.group(1)) if m.group(1) else max(0, len(data) - int(m.group(2)))
            end = int(m.group(2)) if m.group(1) and m.group(2) else len(data) - 1
            end = min(end, len(data) - 1)
            part = data[start:end + 1]
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            return self._send(206, part, ctype="application/octet-stream", headers=headers)
        return self._send(200, data if not head else data, ctype="application/octet-stream", headers=headers, head=head)


def start(port: int = 0) -> tuple[ThreadingHTTPServer, str, Hub]:
    hub = Hub()
    handler = type("BoundHandler", (Handler,), {"hub": hub})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}", hub
