"""Papers: the record, reading corpora, the table of an index's papers."""
