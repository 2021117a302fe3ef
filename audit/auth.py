"""Passwords, session tokens and the request's signed-in user."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from zxcvbn import zxcvbn

from audit.errors import Forbidden, NotFound, Unauthorized

COOKIE_NAME = "audit_session"
# Two weeks: long enough for an auditor's working week offline, short enough
# that a lost phone's session dies on its own.
SESSION_SECONDS = 14 * 24 * 3600
CSRF_HEADER = "x-csrf-token"

_hasher = PasswordHasher()
# A real hash of a random password: unknown e-mails cost as much as known ones.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # what a sign-in accepts
# zxcvbn's scores run 0-4.  0 is "too guessable" (under 10^3 guesses: common
# passwords, keyboard runs, repeats, the user's own name or e-mail), and that
# is what is refused.  Online guessing is what a sign-in faces (the hashes are
# argon2 and never leave the database), and the throttle allows 10 tries per
# account and address in 15 minutes: a score-1 password (10^3..10^6) outlasts
# that by years.  A stricter rule would also refuse passphrases operators
# already use in scripts (`demo-password`, the README's demo logins).
MIN_PASSWORD_SCORE = 1
# zxcvbn refuses longer input (its matching is quadratic); the first 72
# characters of a strong password are strong already.
ZXCVBN_MAX_LENGTH = 72


def password_problem(password: str, *known: str) -> str | None:
    """Why ``password`` is too weak, in one line; None when it is fine.

    ``known`` are the user's own details (e-mail, name), which a guesser tries first.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password must have at most {MAX_PASSWORD_LENGTH} characters"
    inputs = [part for value in known for part in (value, *value.replace("@", " ").split())]
    found = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=inputs)
    if found["score"] >= MIN_PASSWORD_SCORE:
        return None
    feedback = found["feedback"]
    reason = feedback["warning"] or " ".join(feedback["suggestions"][:1])
    reason = reason or "It would be guessed quickly."
    return f"the password is too easy to guess: {reason} Add another uncommon word or two."


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Check in a thread (argon2 is deliberately slow); constant work for unknown users."""
    ok = await anyio.to_thread.run_sync(_verify, password_hash or _DUMMY_HASH, password)
    return ok and password_hash is not None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Personal API tokens start with this, so secret scanners and people can
# tell one in a log or a commit; the rest is 256 random bits.
API_TOKEN_PREFIX = "audit_"
API_TOKEN_SHOWN = 12  # characters kept in clear to name a token: the prefix and 6 more


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def bearer_token(request: Request) -> str | None:
    """The ``Authorization: Bearer …`` credential, or None when there is none."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


# Cookies whose signature this process has checked (a phone sends the same
# one with every request; checking costs an HMAC and a key derivation).
# Only good signatures are kept, with their signing time, so expiry is still
# checked each time; the bound keeps forged cookies from growing it.
VERIFIED_COOKIES_KEPT = 4096


class CookieSigner:
    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="audit-session")
        self._verified: dict[str, tuple[str, float]] = {}

    def dumps(self, token: str) -> str:
        return self._serializer.dumps(token)

    def loads(self, value: str) -> str | None:
        known = self._verified.get(value)
        if known is not None:
            token, signed_at = known
            return token if time.time() - signed_at <= SESSION_SECONDS else None
        try:
            token, signed = self._serializer.loads(
                value, max_age=SESSION_SECONDS, return_timestamp=True
            )
        except BadSignature:  # also expired (SignatureExpired is a subclass)
            return None
        if not isinstance(token, str):
            return None
        if len(self._verified) >= VERIFIED_COOKIES_KEPT:
            self._verified.clear()
        self._verified[value] = (token, signed.timestamp())
        return token


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the routes see it."""

    user_id: int
    email: str
    name: str
    role: str
    csrf_token: str
    session_id: int
    # Signed in with a personal API token (audit.store.tokens) rather than a
    # session cookie: its id, and whether its scope allows only reads.
    token_id: int | None = None
    read_only: bool = False
    # The language the user chose (audit.i18n), None when none.
    language: str | None = None

    @property
    def via_token(self) -> bool:
        return self.token_id is not None

    @property
    def is_hq(self) -> bool:
        return self.role == "hq"

    @property
    def is_auditor(self) -> bool:
        return self.role == "auditor"

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"


def principal(request: Request) -> Principal:
    """The signed-in user, or 401."""
    found: Principal | None = request.scope.get("audit.principal")
    if found is None:
        raise Unauthorized("sign in first")
    return found


def require_role(request: Request, *roles: str) -> Principal:
    """The signed-in user if their role is one of ``roles``; others get 404, not 403."""
    who = principal(request)
    if who.role not in roles:
        raise NotFound("not found")
    return who


DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_of(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of an origin or URL, the port filled in; None when it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    scheme = parts.scheme.lower()
    if not scheme or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port if port is not None else DEFAULT_PORTS.get(scheme)


def same_origin(origin: str, request: Request, https: bool = False) -> bool:
    """Whether ``origin`` is the request's own: scheme, host and port alike (RFC 6454).

    ``https`` (AUDIT_HTTPS=1) says the public scheme is https even when a proxy
    in front speaks plain http to this process.
    """
    theirs = _origin_of(origin)
    ours = _origin_of(str(request.url))
    if theirs is None or ours is None:
        return False
    if https and ours[0] == "http":
        ours = ("https", ours[1], DEFAULT_PORTS["https"] if ours[2] == 80 else ours[2])
    return theirs == ours


def check_csrf(request: Request, who: Principal | None, https: bool = False) -> None:
    """Refuse cross-site writes: a foreign Origin always, a missing token with a session."""
    origin = request.headers.get("origin")
    if origin is not None and not same_origin(origin, request, https):
        raise Forbidden("cross-origin request refused")
    if who is None:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not secrets.compare_digest(sent, who.csrf_token):
        raise Forbidden(f"missing or wrong {CSRF_HEADER.upper()} header")
