"""Fetching and normalizing live sources, framework-free (used by the ingestion assets)."""
