"""Thin HTTP handlers per area; the routes table is in :mod:`audit.app`."""
