"""Configuration from the environment (see README: Configuration).

The one module that reads ``os.environ`` (tests/test_layers.py checks it).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from audit.i18n import DEFAULT_LANGUAGE, LANGUAGES


def _secret_key(var_dir: Path, create: bool = True) -> str:
    configured = os.environ.get("AUDIT_SECRET_KEY")
    if configured:
        return configured
    path = var_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        if not create:
            return ""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: when two workers start at once, exactly one writes the key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


# The PWA lives beside the package in the source tree.
_STATIC_DEFAULT = Path(__file__).resolve().parent.parent / "static"


def _positive_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def _positive_seconds(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < 86_400:
        raise ValueError(f"{name} must be a number of seconds above 0, not {value!r}")
    return seconds


LOG_FORMATS = ("text", "json")


def _log_format() -> str:
    value = os.environ.get("AUDIT_LOG_FORMAT", "text").strip().lower() or "text"
    if value not in LOG_FORMATS:
        raise ValueError(f"AUDIT_LOG_FORMAT must be text or json, not {value!r}")
    return value


def export_metrics_dir(path: Path) -> None:
    """Point prometheus_client's multiprocess mode at ``path`` for the processes started next.

    ``audit serve --workers N`` calls it before its workers start: they read
    it when they import prometheus_client (docs/deploy.md, "Metrics").
    """
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def _timezone() -> str:
    value = os.environ.get("AUDIT_TIMEZONE", "").strip() or "UTC"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"AUDIT_TIMEZONE must be an IANA time zone like Europe/Paris, not {value!r}"
        ) from None
    return value


def _language() -> str:
    value = os.environ.get("AUDIT_LANGUAGE", "").strip().lower() or DEFAULT_LANGUAGE
    if value not in LANGUAGES:
        raise ValueError(f"AUDIT_LANGUAGE must be one of {', '.join(LANGUAGES)}, not {value!r}")
    return value


def _public_url() -> str:
    value = os.environ.get("AUDIT_PUBLIC_URL", "").strip().rstrip("/")
    if not value:
        return "http://127.0.0.1:8000"
    if not value.startswith(("http://", "https://")) or value.endswith("://"):
        raise ValueError(f"AUDIT_PUBLIC_URL must be an http:// or https:// address, not {value!r}")
    return value


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite://var/audit.sqlite3"
    media_dir: Path = Path("var/media")
    var_dir: Path = Path("var")
    secret_key: str = field(default="", repr=False)
    smtp_url: str | None = None
    smtp_from: str = "audit@localhost"
    allowed_hosts: tuple[str, ...] = ("*",)
    https_only: bool = False
    brand_name: str = "Audit"
    report_workers: int = 2
    report_timeout: float = 60.0
    checklists_dir: Path = Path("checklists")
    static_dir: Path = _STATIC_DEFAULT
    log_level: str = "warning"
    # Proxies whose X-Forwarded-* headers uvicorn believes (docs/deploy.md).
    forwarded_allow_ips: str = "127.0.0.1"
    # Fewer approved visits than this in the period and a location is listed
    # in HQ's league table as "not enough visits" instead of ranked: one
    # visit's score (or one NPS answer, ±100) says little about a location.
    min_visits: int = 3
    # Report benchmarks count other locations' visits up to this many days
    # before the visit; None (the default) counts every earlier visit, as the
    # contract defines them (docs/scoring.md, "Benchmarks").
    benchmark_days: int | None = None
    # One line per request: "text" for a terminal, "json" for a log pipeline.
    log_format: str = "text"
    # Bearer token that lets a scraper read /metrics (HQ's session may too).
    metrics_token: str | None = field(default=None, repr=False)
    # Proof of visit (docs/programme.md): how far from a location's pin a
    # check-in may be before its accuracy is added, the time on site a visit
    # needs when its checklist does not say, and the time zone of opening
    # hours for locations that name none.
    visit_radius_m: int = 150
    min_visit_minutes: int = 10
    timezone: str = "UTC"
    # The address people open, for links in e-mails (invitations, resets).
    public_url: str = "http://127.0.0.1:8000"
    # How long an invitation link works: a week covers a holiday.
    invite_days: int = 7
    # How long a password-reset link works: long enough to find the e-mail,
    # short enough that an old one in a mailbox is dead.
    reset_minutes: int = 60
    # An owner may dispute items of a report for this many days after its
    # approval (docs/programme.md, "Appeals"); a week is long enough to read
    # the report with the team and short enough to remember the visit.
    appeal_days: int = 7
    # HQ aims to decide an appeal within this many days of its opening: its
    # due time in HQ's appeals queue.
    appeal_decision_days: int = 5
    # Webhooks (docs/integrations.md): how long a receiver has to answer one
    # delivery, and the first wait before trying again (doubling from there).
    webhook_timeout: float = 10.0
    webhook_first_retry: float = 30.0
    # The language of people who chose none and whose browser asks for none
    # the service speaks, and of reports to owners who chose none (audit.i18n).
    language: str = "en"

    @classmethod
    def from_env(cls, *, create_secret: bool = True) -> Settings:
        """The settings of the environment.

        ``create_secret=False`` (commands that only read data) leaves the
        secret key empty when none is configured or stored, rather than
        writing a new ``var/secret_key`` wherever the command runs.
        """
        var_dir = Path(os.environ.get("AUDIT_VAR_DIR", "var"))
        return cls(
            database_url=os.environ.get("AUDIT_DATABASE_URL", f"sqlite://{var_dir}/audit.sqlite3"),
            media_dir=Path(os.environ.get("AUDIT_MEDIA_DIR", str(var_dir / "media"))),
            var_dir=var_dir,
            secret_key=_secret_key(var_dir, create_secret),
            smtp_url=os.environ.get("AUDIT_SMTP_URL") or None,
            smtp_from=os.environ.get("AUDIT_SMTP_FROM", "audit@localhost"),
            allowed_hosts=_csv(os.environ.get("AUDIT_ALLOWED_HOSTS", "*")) or ("*",),
            https_only=os.environ.get("AUDIT_HTTPS", "") in ("1", "true", "yes"),
            brand_name=os.environ.get("AUDIT_BRAND", "Audit"),
            report_workers=int(os.environ.get("AUDIT_REPORT_WORKERS", "0") or 0)
            or max(1, min(4, os.cpu_count() or 1)),
            report_timeout=float(os.environ.get("AUDIT_REPORT_TIMEOUT", "60")),
            checklists_dir=Path(os.environ.get("AUDIT_CHECKLISTS_DIR", "checklists")),
            static_dir=Path(os.environ.get("AUDIT_STATIC_DIR", str(_STATIC_DEFAULT))),
            log_level=os.environ.get("AUDIT_LOG_LEVEL", "warning"),
            forwarded_allow_ips=os.environ.get("AUDIT_FORWARDED_ALLOW_IPS", "127.0.0.1"),
            min_visits=_positive_int("AUDIT_MIN_VISITS", 3),
            benchmark_days=_positive_int("AUDIT_BENCHMARK_DAYS", 0) or None,
            log_format=_log_format(),
            metrics_token=os.environ.get("AUDIT_METRICS_TOKEN") or None,
            visit_radius_m=_positive_int("AUDIT_VISIT_RADIUS_M", 150),
            min_visit_minutes=_positive_int("AUDIT_MIN_VISIT_MINUTES", 10),
            timezone=_timezone(),
            public_url=_public_url(),
            invite_days=_positive_int("AUDIT_INVITE_DAYS", 7),
            reset_minutes=_positive_int("AUDIT_RESET_MINUTES", 60),
            appeal_days=_positive_int("AUDIT_APPEAL_DAYS", 7),
            appeal_decision_days=_positive_int("AUDIT_APPEAL_DECISION_DAYS", 5),
            webhook_timeout=_positive_seconds("AUDIT_WEBHOOK_TIMEOUT", 10.0),
            webhook_first_retry=_positive_seconds("AUDIT_WEBHOOK_FIRST_RETRY", 30.0),
            language=_language(),
        )


def password_from_env() -> str | None:
    """``AUDIT_PASSWORD``: the password ``audit user add`` sets (it asks when unset).

    Not a field of :class:`Settings`: it is one command's input, and a
    settings object is passed around and logged far more widely.
    """
    return os.environ.get("AUDIT_PASSWORD") or None
