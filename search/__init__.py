"""Query time: fusion, the searcher (modes, paging, filters, explain) and evaluation."""
