"""audit: mystery-shopper and customer-experience audits."""

__version__ = "0.1.0"
