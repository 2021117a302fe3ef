"""Tortoise models only: no queries here (those live in :mod:`audit.store`).

Foreign keys get ``db_index=True``: Tortoise 1.x indexes none by itself, and
every per-location or per-audit lookup depends on them.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

ROLES = ("auditor", "owner", "hq")
# "rejected" is final: HQ found the visit unusable; it counts in no figure and
# its assignment is open again (docs/programme.md, "Editor QA").
STATUSES = ("draft", "submitted", "approved", "returned", "rejected")
GRADES = (1, 2, 3, 4, 5)


class Brand(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)

    class Meta:
        table = "brand"


class Region(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)

    class Meta:
        table = "region"


class Location(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200)
    address = fields.TextField(default="")
    brand: fields.ForeignKeyNullableRelation[Brand] = fields.ForeignKeyField(
        "models.Brand",
        related_name="locations",
        null=True,
        on_delete=fields.SET_NULL,
        db_index=True,
    )
    region: fields.ForeignKeyNullableRelation[Region] = fields.ForeignKeyField(
        "models.Region",
        related_name="locations",
        null=True,
        on_delete=fields.SET_NULL,
        db_index=True,
    )
    # Proof of visit (audit.trust): the point a check-in is measured from, and
    # the opening hours ({"mon": [["09:00", "18:00"]], ...}) in ``timezone``
    # (an IANA name; unset: AUDIT_TIMEZONE).  Owners never see check-ins.
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    opening_hours: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    timezone = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "location"


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    name = fields.CharField(max_length=200, default="")
    role = fields.CharField(max_length=16)
    password_hash = fields.CharField(max_length=200)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # One of audit.i18n.LANGUAGES; None until the user chooses (then the
    # browser's Accept-Language, else AUDIT_LANGUAGE).
    language = fields.CharField(max_length=8, null=True)

    class Meta:
        table = "user"


class LocationOwner(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="ownerships", on_delete=fields.CASCADE, db_index=True
    )
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="ownerships", on_delete=fields.CASCADE, db_index=True
    )

    class Meta:
        table = "location_owner"
        unique_together = (("user", "location"),)


class Session(Model):
    """Server-side session: the cookie carries the signed token, this row its rights."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE, db_index=True
    )
    csrf_token = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "session"


class LoginThrottle(Model):
    """Failed sign-ins per key (an e-mail or a client address), shared by all workers."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=300, unique=True)
    failures = fields.IntField(default=0)
    window_start = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "login_throttle"


class AccountToken(Model):
    """A single-use link to choose a password: an invitation or a password reset.

    Only the token's SHA-256 is stored.  The token itself is an HMAC of
    ``nonce`` under the secret key (audit.workflow.invitations), so the mail
    queue can put it into the e-mail when it sends it without the database
    ever holding it.  The row is also its e-mail's place in that queue,
    claimed and retried like a report delivery (audit.store.account_tokens).
    """

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="account_tokens", on_delete=fields.CASCADE, db_index=True
    )
    purpose = fields.CharField(max_length=16)  # invite | reset
    token_hash = fields.CharField(max_length=64, unique=True)
    nonce = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    # Used, or replaced by a newer link of the user: it opens nothing any more.
    spent_at = fields.DatetimeField(null=True)
    # pending | sending | sent | failed | abandoned | dropped (the link died
    # before it was sent) | none (no mail server: the link was handed over)
    mail_status = fields.CharField(max_length=16, default="pending")
    mail_attempts = fields.IntField(default=0)
    mail_next_at = fields.DatetimeField(null=True)
    mail_error = fields.TextField(default="")
    mail_sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_token"
        indexes = (Index(fields=("mail_status", "mail_next_at")),)


class ChecklistVersion(Model):
    """One content version of a checklist YAML, audits are pinned to the version they used."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=80, db_index=True)
    version = fields.IntField()
    title = fields.CharField(max_length=200)
    content_hash = fields.CharField(max_length=64)
    definition: fields.Field[dict[str, object]] = fields.JSONField()
    is_current = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "checklist_version"
        unique_together = (("slug", "content_hash"),)


class Wave(Model):
    """A round of visits: one pinned checklist version, locations, a window, visits each.

    Creating a wave makes its assignments (audit.wave_plan plans them,
    audit.workflow.waves stores them); its progress
    is read from them and their audits, never stored twice.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    checklist_slug = fields.CharField(max_length=80)
    checklist: fields.ForeignKeyRelation[ChecklistVersion] = fields.ForeignKeyField(
        "models.ChecklistVersion", related_name="waves", on_delete=fields.RESTRICT, db_index=True
    )
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    visits_per_location = fields.IntField(default=1)
    # {"days": ["weekday", "weekend"], "dayparts": ["morning", ...]}: the slots
    # the visits of each location are spread over (empty lists: any).
    coverage: fields.Field[dict[str, object]] = fields.JSONField(default=dict)
    # One auditor may make several of a location's visits in this wave.
    allow_repeat = fields.BooleanField(default=False)
    # A claimed visit may be given back until this many days before it is due.
    release_days = fields.IntField(default=2)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="waves", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "wave"


class Assignment(Model):
    """HQ asks an auditor (or any auditor) to visit a location with a checklist.

    One left open (no auditor) is on the job board until an auditor claims it.
    """

    id = fields.IntField(primary_key=True)
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="assignments", on_delete=fields.CASCADE, db_index=True
    )
    checklist_slug = fields.CharField(max_length=80)
    auditor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name="assignments",
        null=True,
        on_delete=fields.SET_NULL,
        db_index=True,
    )
    due = fields.DateField(null=True)
    notes = fields.TextField(default="")
    audit_uuid = fields.CharField(max_length=36, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    wave: fields.ForeignKeyNullableRelation[Wave] = fields.ForeignKeyField(
        "models.Wave", related_name="assignments", null=True, on_delete=fields.CASCADE
    )
    # Set when an auditor took it from the job board (not when HQ gave it).
    claimed_at = fields.DatetimeField(null=True)
    # The first day of the visit's window (a wave's part of its window; null:
    # from the day it was made).
    opens_on = fields.DateField(null=True)
    # The wave's slot for this visit, e.g. "weekend lunch" ("" for any time).
    coverage = fields.CharField(max_length=40, default="")
    # The last day a claimed visit may be given back (null: until it is started).
    release_by = fields.DateField(null=True)

    class Meta:
        table = "assignment"
        indexes = (
            # A wave's progress reads only these columns, per location, from the index.
            Index(fields=("wave_id", "location_id", "auditor_id", "due", "audit_uuid")),
            # The auditor's own visits, and the job board (auditor_id IS NULL).
            Index(fields=("auditor_id", "audit_uuid", "due")),
            Index(fields=("audit_uuid",)),
        )


class AssignmentNotice(Model):
    """The e-mail telling an auditor that HQ gave them a visit: kept and retried, never lost.

    Sent by the report mailer's loop (audit.workflow.delivery) with the same
    lease per attempt as a report's Delivery; one per visit and auditor.
    """

    id = fields.IntField(primary_key=True)
    assignment: fields.ForeignKeyRelation[Assignment] = fields.ForeignKeyField(
        "models.Assignment", related_name="notices", on_delete=fields.CASCADE, db_index=True
    )
    recipient = fields.CharField(max_length=254)
    status = fields.CharField(max_length=16, default="pending")
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(default="")
    next_attempt_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "assignment_notice"
        unique_together = (("assignment", "recipient"),)


class Audit(Model):
    id = fields.IntField(primary_key=True)
    uuid = fields.CharField(max_length=36, unique=True)
    auditor: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="audits", on_delete=fields.RESTRICT, db_index=True
    )
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="audits", on_delete=fields.RESTRICT, db_index=True
    )
    checklist: fields.ForeignKeyRelation[ChecklistVersion] = fields.ForeignKeyField(
        "models.ChecklistVersion",
        related_name="audits",
        on_delete=fields.RESTRICT,
        db_index=True,
    )
    checklist_slug = fields.CharField(max_length=80)
    status = fields.CharField(max_length=16, default="draft")
    visited_at = fields.DatetimeField(null=True)
    visit_date = fields.DateField(null=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    answers: fields.Field[dict[str, object]] = fields.JSONField(default=dict)
    # Section id → "YYYY-MM-DD" of a touchpoint on another day than the visit.
    touchpoint_dates: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    draft_hash = fields.CharField(max_length=64, default="")
    submit_hash = fields.CharField(max_length=64, null=True)
    review_note = fields.TextField(default="")
    # HQ's notes to the auditor per item of a returned audit: {item id: note}.
    item_notes: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    # HQ's 1-5 grade of the shopper's report, from the latest decision that gave one.
    grade = fields.IntField(null=True)
    grade_note = fields.TextField(default="", db_default="")
    # Optimistic concurrency (docs/api.md, "Revisions"): +1 on every stored
    # change of the audit itself; sent as the ETag, checked against If-Match.
    revision = fields.IntField(default=1, db_default=1)
    # The revision a submit was made from: a replayed submit that names it in
    # If-Match is the same request again, not a stale one.
    submitted_revision = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    submitted_at = fields.DatetimeField(null=True)
    approved_at = fields.DatetimeField(null=True)
    # Stored when submitted, so comparisons never re-score.
    overall = fields.FloatField(null=True)
    service = fields.FloatField(null=True)
    experience = fields.FloatField(null=True)
    nps = fields.IntField(null=True)
    critical_failed = fields.BooleanField(default=False)
    # The consistency score (docs/scoring.md): null without rules or none checked.
    consistency = fields.FloatField(null=True)
    scorecard: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    # HQ's owner-facing copies and clearances of free text (audit.redaction).
    owner_text: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    # Proof of visit, computed at submission (audit.trust): the score 0-100
    # (indexed: HQ filters the review queue by it) and the whole assessment.
    trust_score = fields.IntField(null=True)
    trust: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    # Counted in the monthly rollups (audit.store.rollups); an approved audit
    # that is not (written by other means) is read from its own rows instead.
    rolled_up = fields.BooleanField(default=False, db_default=False)
    # The owner's report is issued again, one version up, by every appeal
    # decision that changes a score (audit.workflow.appeals); amended_at is
    # that decision's time, the report's "re-approval".
    report_version = fields.IntField(default=1, db_default=1)
    amended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "audit"
        # Covering indexes: comparisons read only these columns, never the
        # large JSON columns stored in the same row (3x faster on SQLite).
        indexes = (
            # Shoppers' records (audit.store.shoppers), from the index alone.
            Index(
                fields=(
                    "auditor_id",
                    "submitted_at",
                    "status",
                    "grade",
                    "trust_score",
                    "visit_date",
                    "id",
                )
            ),
            Index(
                fields=(
                    "status",
                    "checklist_slug",
                    "visit_date",
                    "location_id",
                    "checklist_id",
                    "overall",
                    "service",
                    "experience",
                    "nps",
                )
            ),
            Index(
                fields=(
                    "location_id",
                    "status",
                    "visit_date",
                    "checklist_slug",
                    "checklist_id",
                    "overall",
                    "service",
                    "experience",
                    "nps",
                )
            ),
        )


class SectionScore(Model):
    """One row per audit and section (and so per touchpoint) for SQL aggregates."""

    id = fields.IntField(primary_key=True)
    audit: fields.ForeignKeyRelation[Audit] = fields.ForeignKeyField(
        "models.Audit", related_name="section_scores", on_delete=fields.CASCADE, db_index=True
    )
    section_id = fields.CharField(max_length=80)
    touchpoint = fields.CharField(max_length=40)
    weight = fields.FloatField()
    score = fields.FloatField(null=True)

    class Meta:
        table = "section_score"
        indexes = (Index(fields=("audit_id", "touchpoint", "weight", "score")),)


class ItemScore(Model):
    """Points of each counted scored item of a submitted audit (weakest-item statistics)."""

    id = fields.IntField(primary_key=True)
    audit: fields.ForeignKeyRelation[Audit] = fields.ForeignKeyField(
        "models.Audit", related_name="item_scores", on_delete=fields.CASCADE, db_index=True
    )
    item_id = fields.CharField(max_length=80)
    touchpoint = fields.CharField(max_length=40)
    points = fields.FloatField()

    class Meta:
        table = "item_score"


class Photo(Model):
    id = fields.IntField(primary_key=True)
    uuid = fields.CharField(max_length=36, unique=True)
    audit: fields.ForeignKeyRelation[Audit] = fields.ForeignKeyField(
        "models.Audit", related_name="photos", on_delete=fields.CASCADE, db_index=True
    )
    item_id = fields.CharField(max_length=80)
    path = fields.CharField(max_length=200)
    thumb_path = fields.CharField(max_length=200)
    sha256 = fields.CharField(max_length=64)
    width = fields.IntField()
    height = fields.IntField()
    size = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "photo"
        # Proof of visit looks up the same bytes in other audits.
        indexes = (Index(fields=("sha256", "audit_id")),)


class VisitCheck(Model):
    """A check-in or check-out of an audit: the phone's reading, and when it arrived.

    One per audit and kind: a phone re-sending from its offline outbox gets
    the stored one back.  HQ reads them; owners never do.
    """

    id = fields.IntField(primary_key=True)
    audit: fields.ForeignKeyRelation[Audit] = fields.ForeignKeyField(
        "models.Audit", related_name="visit_checks", on_delete=fields.CASCADE, db_index=True
    )
    kind = fields.CharField(max_length=16)  # check_in | check_out
    permission = fields.CharField(max_length=16, default="granted")
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    accuracy = fields.FloatField(null=True)
    device_time = fields.DatetimeField()
    received_at = fields.DatetimeField()

    class Meta:
        table = "visit_check"
        unique_together = (("audit", "kind"),)


class ReviewEvent(Model):
    """The audit trail of HQ decisions (HQ reads it, owners never see it)."""

    id = fields.IntField(primary_key=True)
    audit: fields.ForeignKeyRelation[Audit] = fields.ForeignKeyField(
        "models.Audit", related_name="review_events", on_delete=fields.CASCADE, db_index=True
    )
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="review_events", null=True, on_delete=fields.SET_NULL
    )
    action = fields.CharField(max_length=16)  # approve | return | reject | owner_text
    note = fields.TextField(default="")
    grade = fields.IntField(null=True)  # the grade this decision gave the report
    # What changed: {"item_notes": {...}} of a return; {"item", "field", "old",
    # "new", "cleared_before", "cleared"} of an owner's copy.
    detail: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "review_event"
        # Shoppers' records ask of each audit whether it was ever returned.
        indexes = (Index(fields=("audit_id", "action")),)


class Delivery(Model):
    """An e-mail of a report to an owner: failures are kept and retried, never lost."""

    id = fields.IntField(primary_key=True)
    audit: fields.ForeignKeyRelation[Audit] = fields.ForeignKeyField(
        "models.Audit", related_name="deliveries", on_delete=fields.CASCADE, db_index=True
    )
    recipient = fields.CharField(max_length=254)
    # What the e-mail is: "report" (the audit's report, once per owner), or a
    # reminder of an overdue corrective action, "action:<id>:<YYYY-MM-DD>",
    # so a reminder is queued at most once per action, owner and day.
    purpose = fields.CharField(max_length=80, default="report", db_default="report")
    status = fields.CharField(max_length=16, default="pending")
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(default="")
    next_attempt_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "delivery"
        unique_together = (("audit", "recipient", "purpose"),)


class ApiToken(Model):
    """An HQ user's personal API token: only its SHA-256 is kept (the token is shown once)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="api_tokens", on_delete=fields.CASCADE, db_index=True
    )
    name = fields.CharField(max_length=100)
    token_hash = fields.CharField(max_length=64, unique=True)
    # The token's first characters, so its owner can tell which one a log names.
    prefix = fields.CharField(max_length=16)
    scope = fields.CharField(max_length=16)  # "read" | "write"
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)
    last_used_from = fields.CharField(max_length=64, default="")
    uses = fields.IntField(default=0)
    # The throttle's fixed window (audit.store.tokens): its start and requests in it.
    window_start = fields.DatetimeField(null=True)
    window_requests = fields.IntField(default=0)

    class Meta:
        table = "api_token"


class WebhookEndpoint(Model):
    """A URL HQ registered to hear about events, with the secret that signs what is sent."""

    id = fields.IntField(primary_key=True)
    url = fields.CharField(max_length=2000)
    description = fields.CharField(max_length=200, default="")
    # Kept as it is: signing needs it (it is shown to HQ once, when made).
    secret = fields.CharField(max_length=100)
    events: fields.Field[list[str]] = fields.JSONField()
    active = fields.BooleanField(default=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="webhook_endpoints", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_endpoint"


class WebhookEvent(Model):
    """The outbox: one row per event, written in the transaction of the change it tells of."""

    # The exact JSON every attempt sends: each copy is byte for byte the same,
    # and event_id is the receiver's de-duplication key.

    id = fields.IntField(primary_key=True)
    event_id = fields.CharField(max_length=36, unique=True)
    type = fields.CharField(max_length=40)
    audit_uuid = fields.CharField(max_length=36, default="", db_index=True)
    body = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "webhook_event"


class WebhookDelivery(Model):
    """One event to one endpoint: attempted until its receiver answers 2xx, or given up."""

    id = fields.IntField(primary_key=True)
    event: fields.ForeignKeyRelation[WebhookEvent] = fields.ForeignKeyField(
        "models.WebhookEvent", related_name="deliveries", on_delete=fields.CASCADE, db_index=True
    )
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "models.WebhookEndpoint",
        related_name="deliveries",
        on_delete=fields.CASCADE,
        db_index=True,
    )
    # pending | sending (claimed, under a lease) | failed (a retry is due) | delivered | abandoned
    status = fields.CharField(max_length=16, default="pending")
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    last_attempt_at = fields.DatetimeField(null=True)
    last_status_code = fields.IntField(null=True)
    last_error = fields.TextField(default="")
    delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_delivery"
        unique_together = (("event", "endpoint"),)
        indexes = (Index(fields=("status", "next_attempt_at")),)


class ReportBenchmarks(Model):
    """An approved audit's benchmarks as first reported, kept so its report never changes.

    One row per audit; the unique audit decides which of two racing first
    freezes (on any worker or machine) is kept.
    """

    id = fields.IntField(primary_key=True)
    audit: fields.OneToOneRelation[Audit] = fields.OneToOneField(
        "models.Audit", related_name="report_benchmarks", on_delete=fields.CASCADE, db_index=True
    )
    snapshot: fields.Field[dict[str, object]] = fields.JSONField()
    as_of = fields.DateField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "report_benchmarks"


ACTION_STATUSES = ("open", "done")


class CorrectiveAction(Model):
    """What a location's owner will do about one failed or weak item of an approved audit.

    One per audit and item (the unique pair decides between two racing first
    saves).  ``who`` is free text, a name or role in the owner's team, never
    a user account; ``created_by`` is the owner who recorded it.
    """

    id = fields.IntField(primary_key=True)
    audit: fields.ForeignKeyRelation[Audit] = fields.ForeignKeyField(
        "models.Audit", related_name="actions", on_delete=fields.CASCADE, db_index=True
    )
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="actions", on_delete=fields.CASCADE, db_index=True
    )
    item_id = fields.CharField(max_length=80)
    touchpoint = fields.CharField(max_length=40)
    what = fields.TextField()
    who = fields.CharField(max_length=200)
    due = fields.DateField()
    status = fields.CharField(max_length=16, default="open")
    done_at = fields.DatetimeField(null=True)
    note = fields.TextField(default="")
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="actions", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "corrective_action"
        unique_together = (("audit", "item_id"),)
        # HQ's list: open ones by due date (overdue first).
        indexes = (Index(fields=("status", "due")),)


APPEAL_STATUSES = ("open", "upheld", "partly_upheld", "rejected")


class Appeal(Model):
    """An owner's dispute of one item of an approved audit, and HQ's decision on it.

    ``open_key`` is ``"<audit id>:<item id>"`` while the appeal is open and
    NULL once decided: its unique index lets one appeal per item be open at a
    time, also when two requests open one at the same moment (NULLs never
    collide, on SQLite and PostgreSQL alike).
    """

    id = fields.IntField(primary_key=True)
    uuid = fields.CharField(max_length=36, unique=True)
    audit: fields.ForeignKeyRelation[Audit] = fields.ForeignKeyField(
        "models.Audit", related_name="appeals", on_delete=fields.CASCADE, db_index=True
    )
    item_id = fields.CharField(max_length=80)
    owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name="appeals",
        null=True,
        on_delete=fields.SET_NULL,
        db_index=True,
    )
    reason = fields.TextField()
    # What the owner says the answer should have been ({"value": ...} or {"na": true}).
    proposed: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    # The evidence photo, stored as audit photos are (audit.media).
    photo_path = fields.CharField(max_length=200, null=True)
    thumb_path = fields.CharField(max_length=200, null=True)
    photo_sha256 = fields.CharField(max_length=64, null=True)
    status = fields.CharField(max_length=16, default="open", db_index=True)
    open_key = fields.CharField(max_length=120, null=True, unique=True)
    opened_at = fields.DatetimeField()
    due_at = fields.DatetimeField()
    # HQ's decision: the answer before and after it, the scores before and after.
    original: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    decided_answer: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    decision_note = fields.TextField(default="")
    decided_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="appeal_decisions", null=True, on_delete=fields.SET_NULL
    )
    decided_at = fields.DatetimeField(null=True)
    scores_before: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    scores_after: fields.Field[dict[str, object] | None] = fields.JSONField(null=True)
    # The report version this decision issued (None: it changed no score).
    report_version = fields.IntField(null=True)

    class Meta:
        table = "appeal"


# The columns a rollup adds up (audit.store.rollups writes them by these names).
AUDIT_SUMS = (
    "audits",
    "overall_sum",
    "overall_count",
    "service_sum",
    "service_count",
    "experience_sum",
    "experience_count",
    "nps_promoters",
    "nps_detractors",
    "nps_answers",
)
TOUCHPOINT_SUMS = ("score_sum", "score_count")
# Kept apart from AUDIT_SUMS and their covering indexes: only comparisons of a
# checklist with consistency rules read them.
CONSISTENCY_SUMS = ("consistency_sum", "consistency_count")


class MonthRollup(Model):
    """Sums and counts of one location's approved audits of one checklist version in a month.

    Means cannot be added, sums and counts can: a comparison over whole months
    adds these rows instead of reading every audit (audit.store.rollups).
    """

    id = fields.IntField(primary_key=True)
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="month_rollups", on_delete=fields.CASCADE
    )
    checklist: fields.ForeignKeyRelation[ChecklistVersion] = fields.ForeignKeyField(
        "models.ChecklistVersion", related_name="month_rollups", on_delete=fields.CASCADE
    )
    checklist_slug = fields.CharField(max_length=80)
    month = fields.DateField()  # the first day of the month of the visits
    audits = fields.IntField(default=0)
    overall_sum = fields.FloatField(default=0.0)
    overall_count = fields.IntField(default=0)
    service_sum = fields.FloatField(default=0.0)
    service_count = fields.IntField(default=0)
    experience_sum = fields.FloatField(default=0.0)
    experience_count = fields.IntField(default=0)
    nps_promoters = fields.IntField(default=0)
    nps_detractors = fields.IntField(default=0)
    nps_answers = fields.IntField(default=0)
    consistency_sum = fields.FloatField(default=0.0, db_default=0.0)
    consistency_count = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "month_rollup"
        unique_together = (("location", "checklist", "checklist_slug", "month"),)
        # Covering, in the order of the comparison's GROUP BY location: the
        # sums are read from the index alone, already grouped.
        indexes = (
            Index(
                fields=(
                    "checklist_slug",
                    "location_id",
                    "month",
                    "checklist_id",
                    *AUDIT_SUMS,
                )
            ),
        )


class TouchpointRollup(Model):
    """Sum and count of the audits' touchpoint scores behind one MonthRollup, per touchpoint.

    Each audit adds its own touchpoint score once (the weighted mean of its
    sections on that touchpoint), so a touchpoint two sections share still
    counts the audit once.  A row exists when some audit had the touchpoint,
    even if none scored it (the mean is then null, as over raw rows).
    """

    id = fields.IntField(primary_key=True)
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="touchpoint_rollups", on_delete=fields.CASCADE
    )
    checklist: fields.ForeignKeyRelation[ChecklistVersion] = fields.ForeignKeyField(
        "models.ChecklistVersion", related_name="touchpoint_rollups", on_delete=fields.CASCADE
    )
    checklist_slug = fields.CharField(max_length=80)
    month = fields.DateField()
    touchpoint = fields.CharField(max_length=40)
    score_sum = fields.FloatField(default=0.0)
    score_count = fields.IntField(default=0)

    class Meta:
        table = "touchpoint_rollup"
        unique_together = (("location", "checklist", "checklist_slug", "month", "touchpoint"),)
        # Covering, each in the order of a GROUP BY: by location (league
        # tables, heat maps) and by month (trends), so neither sorts.
        indexes = (
            Index(
                fields=(
                    "checklist_slug",
                    "location_id",
                    "touchpoint",
                    "month",
                    "checklist_id",
                    *TOUCHPOINT_SUMS,
                )
            ),
            Index(
                fields=(
                    "checklist_slug",
                    "month",
                    "touchpoint",
                    "location_id",
                    "checklist_id",
                    *TOUCHPOINT_SUMS,
                )
            ),
        )


class TotalRollup(Model):
    """MonthRollup over every month: a comparison without dates reads these rows alone.

    A location has about one audit of a checklist a month, so adding up its
    months costs nearly as much as its audits; one row per location and
    version does not (audit.store.rollups keeps both).
    """

    id = fields.IntField(primary_key=True)
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="total_rollups", on_delete=fields.CASCADE
    )
    checklist: fields.ForeignKeyRelation[ChecklistVersion] = fields.ForeignKeyField(
        "models.ChecklistVersion", related_name="total_rollups", on_delete=fields.CASCADE
    )
    checklist_slug = fields.CharField(max_length=80)
    audits = fields.IntField(default=0)
    overall_sum = fields.FloatField(default=0.0)
    overall_count = fields.IntField(default=0)
    service_sum = fields.FloatField(default=0.0)
    service_count = fields.IntField(default=0)
    experience_sum = fields.FloatField(default=0.0)
    experience_count = fields.IntField(default=0)
    nps_promoters = fields.IntField(default=0)
    nps_detractors = fields.IntField(default=0)
    nps_answers = fields.IntField(default=0)
    consistency_sum = fields.FloatField(default=0.0, db_default=0.0)
    consistency_count = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "total_rollup"
        unique_together = (("location", "checklist", "checklist_slug"),)
        indexes = (
            Index(
                fields=(
                    "checklist_slug",
                    "location_id",
                    "checklist_id",
                    *AUDIT_SUMS,
                )
            ),
        )


class TouchpointTotalRollup(Model):
    """TouchpointRollup over every month."""

    id = fields.IntField(primary_key=True)
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="touchpoint_total_rollups", on_delete=fields.CASCADE
    )
    checklist: fields.ForeignKeyRelation[ChecklistVersion] = fields.ForeignKeyField(
        "models.ChecklistVersion",
        related_name="touchpoint_total_rollups",
        on_delete=fields.CASCADE,
    )
    checklist_slug = fields.CharField(max_length=80)
    touchpoint = fields.CharField(max_length=40)
    score_sum = fields.FloatField(default=0.0)
    score_count = fields.IntField(default=0)

    class Meta:
        table = "touchpoint_total_rollup"
        unique_together = (("location", "checklist", "checklist_slug", "touchpoint"),)
        indexes = (
            Index(
                fields=(
                    "checklist_slug",
                    "location_id",
                    "touchpoint",
                    "checklist_id",
                    *TOUCHPOINT_SUMS,
                )
            ),
        )
