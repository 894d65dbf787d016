"""HR completion records: the roster, completion records, changes feed, exports, PDFs."""
