"""The translations of :mod:`audit.catalogue`, one module per language."""
