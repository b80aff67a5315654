from __future__ import annotations

import numpy as np
import pytest

from papersift.index.encoding.encoder import Encoder
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


def test_lean_query_path_gives_sentence_transformers_own_vectors(encoder: Encoder) -> None:
    from tests.helpers.data import demo_records

    if encoder.runtime != "onnx":
        pytest.skip("the lean path is for ONNX models; this install encodes with torch")
    assert encoder._lean_query is not None
    records = demo_records(30)
    texts = [str(r["title"]) for r in records] + [
        "  padded query \t",
        "ΛCDM halos at z > 2 — Schrödinger-like équations",
        " ".join(str(r["abstract"]) for r in records[:3]),  # past 256 tokens: truncated alike
    ]
    for text in texts:
        np.testing.assert_allclose(
            encoder._lean_query(text), encoder._encode([text])[0], rtol=0, atol=1e-5
        )


def test_lean_query_path_is_refused_where_it_would_differ(encoder: Encoder) -> None:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Normalize, Pooling

    from papersift.index.encoding.lean_query import lean_query_encoder

    transformer = encoder._model[0]
    cls_pooled = SentenceTransformer(
        modules=[transformer, Pooling(encoder.dimension, pooling_mode="cls"), Normalize()],
        device="cpu",
    )
    assert lean_query_encoder(cls_pooled) is None
    assert lean_query_encoder(Encoder(runtime="torch")._model) is None
