"""Corpus stage (rules corpus.smk, musicnet.smk): demo corpora, downloads, ingest and manifests."""
