"""Corpus: the versioned store (Delta Lake), builds, exports, and the dgsn-corpus CLI."""
