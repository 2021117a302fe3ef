"""Every database query, one module per domain (routes and logic call these)."""
