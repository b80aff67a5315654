"""Dense retrieval: embeddings in FAISS, their moments, the live overlay."""
