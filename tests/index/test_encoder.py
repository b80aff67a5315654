from __future__ import annotations

import json
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from papersift.index.encoding.batching import QueryBatcher
from papersift.index.encoding.encoder import (
    DEFAULT_MODEL,
    Encoder,
    TorchSentenceModel,
    resolve_model,
)
from papersift.index.encoding.layout import ModelLayout, read_layout
from papersift.index.encoding.onnx_export import exported
from papersift.index.errors import EncoderError


def test_bundled_model_gives_normalised_384_dim_embeddings(encoder: Encoder) -> None:
    vectors = encoder.encode_documents(
        ["Graph neural networks.", "Dark matter halos.", "GNNs on graphs."]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 2] > similarity[0, 1]


def test_document_order_is_kept_despite_length_sorting(encoder: Encoder) -> None:
    texts = ["short", "a much longer text about retrieval models " * 5, "medium length text"]
    batch = encoder.encode_documents(texts)
    for row, text in enumerate(texts):
        np.testing.assert_allclose(batch[row], encoder.encode_documents([text])[0], atol=1e-5)


def test_query_embeddings_are_cached_and_read_only(encoder: Encoder) -> None:
    first = encoder.encode_query("hybrid retrieval")
    assert encoder.encode_query("hybrid retrieval") is first
    assert not first.flags.writeable


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(EncoderError, match="cannot load embedding model 'no-such/model-xyz'"):
        Encoder("no-such/model-xyz")


def test_concurrent_queries_from_threads_are_safe(encoder: Encoder) -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"query number {i} about transformers" for i in range(24)]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(encoder.encode_query, texts))
    for text, vector in zip(texts, together, strict=True):
        np.testing.assert_allclose(vector, encoder.encode_documents([text])[0], atol=1e-5)


def test_onnx_and_torch_runtimes_agree_on_real_abstracts(encoder: Encoder) -> None:
    from tests.helpers.data import demo_records

    texts = [f"{r['title']} {r['abstract']}" for r in demo_records(12)]
    other = "torch" if encoder.runtime == "onnx" else "onnx"
    second = Encoder(runtime=other)
    assert second.runtime == other
    cosine = (encoder.encode_documents(texts) * second.encode_documents(texts)).sum(axis=1)
    assert cosine.min() > 0.9999
    query = "sparse attention for long context"
    assert float(encoder.encode_query(query) @ second.encode_query(query)) > 0.9999


def test_unknown_runtime_is_refused() -> None:
    with pytest.raises(EncoderError, match=r"unknown runtime 'tensorrt'"):
        Encoder(runtime="tensorrt")


def test_the_onnx_path_gives_sentence_transformers_own_vectors(encoder: Encoder) -> None:
    """papersift's ONNX path (tokenizer, ONNX Runtime, numpy pooling) against the library itself
    on torch, on real titles and abstracts, padded, Unicode and over-long text."""
    from tests.helpers.data import demo_records

    if encoder.runtime != "onnx":
        pytest.skip("this install encodes with torch")
    records = demo_records(30)
    texts = [str(r["title"]) for r in records] + [
        "  padded query \t",
        "ΛCDM halos at z > 2 — Schrödinger-like équations",
        " ".join(str(r["abstract"]) for r in records[:3]),  # past 256 tokens: truncated alike
    ]
    library = TorchSentenceModel(resolve_model(encoder.name))
    expected = library.encode(texts)
    np.testing.assert_allclose(encoder.encode_documents(texts), expected, rtol=0, atol=1e-5)
    for text, vector in zip(texts, expected, strict=True):
        np.testing.assert_allclose(encoder.encode_query(text), vector, rtol=0, atol=1e-5)
    np.testing.assert_allclose(encoder.encode_queries(texts), expected, rtol=0, atol=1e-5)


def test_the_export_is_made_once_and_again_when_the_model_changes(tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(resolve_model(DEFAULT_MODEL), model)
    first = exported(model)
    assert first is not None and exported(model) == first
    (model / "README.md").write_text("a changed model folder")
    assert exported(model) not in (None, first)


def test_models_papersift_does_not_run_itself_go_to_torch(tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(resolve_model(DEFAULT_MODEL), model)
    assert read_layout(model) == ModelLayout(256, False, "mean", True, 384)
    pooling = model / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**config, "pooling_mode_max_tokens": True}))
    assert read_layout(model) is None  # mean and max together: not a stack it runs
    assert exported(model) is None
    with pytest.raises(EncoderError, match="cannot run on ONNX Runtime here"):
        Encoder(str(model), runtime="onnx")


def test_queries_that_arrive_together_share_a_model_call() -> None:
    """The batcher's logic, with a stand-in model that holds its first call until 15 more
    queries wait: they must then go in one call, each answered with its own vector."""
    started, release = threading.Event(), threading.Event()
    calls: list[list[str]] = []

    def encode_batch(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        started.set()
        release.wait(10)
        return np.array([[float(text.split()[-1])] for text in texts], np.float32)

    batcher = QueryBatcher(encode_batch)
    with ThreadPoolExecutor(16) as pool:
        first = pool.submit(batcher.encode, "query 0")
        started.wait(10)
        rest = [pool.submit(batcher.encode, f"query {n}") for n in range(1, 16)]
        while len(batcher._waiting) < 15:  # all queued behind the first call
            time.sleep(0.01)
        release.set()
        answers = [first.result(10), *(future.result(10) for future in rest)]
    assert [len(call) for call in calls] == [1, 15]
    assert [float(answer[0]) for answer in answers] == list(range(16))


def test_a_failed_batch_fails_each_of_its_queries() -> None:
    def broken(texts: list[str]) -> np.ndarray:
        raise RuntimeError("model gone")

    with pytest.raises(RuntimeError, match="model gone"):
        QueryBatcher(broken).encode("anything")


def test_shipped_int8_embeddings_are_used_after_a_spot_check(encoder: Encoder) -> None:
    from papersift.api.demo import demo_embeddings
    from papersift.index.encoding.precomputed import Precomputed, int8_codes
    from tests.helpers.data import demo_records

    texts = [f"{r['title']} {r['abstract']}" for r in demo_records(40)]
    fresh = encoder.encode_documents(texts)
    kept = Precomputed(int8_codes(fresh), encoder.name).checked(texts, encoder)
    assert kept is not None and kept.dtype == np.float32
    assert float((kept * fresh).sum(axis=1).min()) > 0.9998
    shipped = demo_embeddings()
    assert shipped.vectors.dtype == np.int8 and len(shipped.vectors) == len(demo_records())
    wrong = Precomputed(int8_codes(fresh[::-1]), encoder.name)  # rows that do not fit their texts
    assert wrong.checked(texts, encoder) is None
