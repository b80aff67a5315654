"""Building a collection: the schema (fields, an HNSW dense index, a sparse vector that Milvus
fills itself with a BM25 `Function`), filled as a new collection that the alias (the name users
give) then points to, so a build that stops midway leaves the previous collection serving."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from papersift.index.papers.paper import Paper
from papersift.search.backends.milvus.connection import MilvusError, MilvusTarget, milvus_errors
from papersift.search.backends.milvus.entities import entity_of

ANALYZER = {"tokenizer": "standard", "filter": ["lowercase", {"type": "stop", "stop_words":
            ["_english_"]}, {"type": "stemmer", "language": "english"}]}  # fmt: skip
INSERT_BATCH = 500
HNSW = {"M": 32, "efConstruction": 100}


def build_collection(
    target: MilvusTarget,
    papers: Sequence[Paper],
    vectors: npt.NDArray[np.float32],
    model: str,
) -> str:
    """Fill a new collection with `papers` and their embeddings; point the alias at it."""
    client = target.connect()
    with milvus_errors(f"cannot build the Milvus collection {target.collection!r}"):
        return _fill_collection(client, target, papers, vectors, model)


def _fill_collection(
    client: Any,
    target: MilvusTarget,
    papers: Sequence[Paper],
    vectors: npt.NDArray[np.float32],
    model: str,
) -> str:
    name = f"{target.collection}_{time.strftime('%Y%m%dT%H%M%S')}_{uuid.uuid4().hex[:6]}"
    dimension = int(vectors.shape[1])
    client.create_collection(name, schema=_schema(client, dimension, model),
                             index_params=_index_params(client))  # fmt: skip
    try:
        for start in range(0, len(papers), INSERT_BATCH):
            rows = papers[start : start + INSERT_BATCH]
            client.insert(name, [entity_of(p, v) for p, v in zip(rows, vectors[start:],
                                                                  strict=False)])  # fmt: skip
        _point_alias(client, target.collection, name)
    except BaseException:
        client.drop_collection(name)
        raise
    return name


def _schema(client: Any, dimension: int, model: str) -> Any:
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False, description=json.dumps({"model": model}))
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=1024)
    schema.add_field("title", DataType.VARCHAR, max_length=8192)
    schema.add_field("abstract", DataType.VARCHAR, max_length=65535)
    schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                     analyzer_params=ANALYZER)  # fmt: skip
    schema.add_field("authors", DataType.ARRAY, element_type=DataType.VARCHAR,
                     max_capacity=4096, max_length=512)  # fmt: skip
    schema.add_field("authors_folded", DataType.VARCHAR, max_length=65535)
    schema.add_field("categories", DataType.ARRAY, element_type=DataType.VARCHAR,
                     max_capacity=256, max_length=128)  # fmt: skip
    schema.add_field("year", DataType.INT64)
    schema.add_field("url", DataType.VARCHAR, max_length=2048)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    bm25 = Function(name="bm25", function_type=FunctionType.BM25,
                    input_field_names=["text"], output_field_names=["sparse"])  # fmt: skip
    schema.add_function(bm25)
    return schema


def _index_params(client: Any) -> Any:
    params = client.prepare_index_params()
    params.add_index("dense", index_type="HNSW", metric_type="IP", params=HNSW)
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    return params


def _point_alias(client: Any, alias: str, collection: str) -> None:
    """Make `alias` name `collection` (in one step) and drop what it named before."""
    previous = None
    if alias in client.list_aliases().get("aliases", []):
        previous = client.describe_alias(alias)["collection_name"]
        client.alter_alias(collection, alias)
    else:
        if client.has_collection(alias):
            raise MilvusError(f"a collection named {alias!r} exists; give another name")
        client.create_alias(collection, alias)
    if previous and previous != collection:
        client.drop_collection(previous)
