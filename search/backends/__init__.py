"""Where an index lives (local folder, Milvus) behind one reading and one writing interface."""
