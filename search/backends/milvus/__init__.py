"""The Milvus backend."""
