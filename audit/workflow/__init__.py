"""The life of an audit: validate, score, change state, attach evidence, present.

Routes and commands call one function here per request or command; each that
changes an audit runs in one transaction, and what it returns is what is
stored.  Queries live in :mod:`audit.store`, formatting in
:mod:`audit.presentation`.
"""
