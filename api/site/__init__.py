"""What the papers site shows besides search: readable math, category names, links, BibTeX."""
