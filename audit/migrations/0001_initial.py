import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Brand",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=200)),
            ],
            options={"table": "brand", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ChecklistVersion",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("slug", fields.CharField(db_index=True, max_length=80)),
                ("version", fields.IntField()),
                ("title", fields.CharField(max_length=200)),
                ("content_hash", fields.CharField(max_length=64)),
                (
                    "definition",
                    fields.JSONField(
                        encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("is_current", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "checklist_version",
                "app": "models",
                "unique_together": (("slug", "content_hash"),),
                "pk_attr": "id",
                "table_description": "One content version of a checklist YAML, audits are pinned to the version they used.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LoginThrottle",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("key", fields.CharField(unique=True, max_length=300)),
                ("failures", fields.IntField(default=0)),
                ("window_start", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "locked_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "login_throttle",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Failed sign-ins per key (an e-mail or a client address), shared by all workers.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Region",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=200)),
            ],
            options={"table": "region", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Location",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("code", fields.CharField(unique=True, max_length=64)),
                ("name", fields.CharField(max_length=200)),
                ("address", fields.TextField(default="", unique=False)),
                (
                    "brand",
                    fields.ForeignKeyField(
                        "models.Brand",
                        source_field="brand_id",
                        null=True,
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="locations",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "region",
                    fields.ForeignKeyField(
                        "models.Region",
                        source_field="region_id",
                        null=True,
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="locations",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "location", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("email", fields.CharField(unique=True, max_length=254)),
                ("name", fields.CharField(default="", max_length=200)),
                ("role", fields.CharField(max_length=16)),
                ("password_hash", fields.CharField(max_length=200)),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "user", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Assignment",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "location",
                    fields.ForeignKeyField(
                        "models.Location",
                        source_field="location_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="assignments",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("checklist_slug", fields.CharField(max_length=80)),
                (
                    "auditor",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="auditor_id",
                        null=True,
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="assignments",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("due", fields.DateField(null=True)),
                ("notes", fields.TextField(default="", unique=False)),
                ("audit_uuid", fields.CharField(null=True, max_length=36)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "assignment",
                "app": "models",
                "pk_attr": "id",
                "table_description": "HQ asks an auditor (or any auditor) to visit a location with a checklist.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Audit",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("uuid", fields.CharField(unique=True, max_length=36)),
                (
                    "auditor",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="auditor_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="audits",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "location",
                    fields.ForeignKeyField(
                        "models.Location",
                        source_field="location_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="audits",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "checklist",
                    fields.ForeignKeyField(
                        "models.ChecklistVersion",
                        source_field="checklist_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="audits",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("checklist_slug", fields.CharField(max_length=80)),
                ("status", fields.CharField(default="draft", max_length=16)),
                ("visited_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("visit_date", fields.DateField(null=True)),
                ("started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "answers",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("draft_hash", fields.CharField(default="", max_length=64)),
                ("submit_hash", fields.CharField(null=True, max_length=64)),
                ("review_note", fields.TextField(default="", unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                (
                    "submitted_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "approved_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("overall", fields.FloatField(null=True)),
                ("service", fields.FloatField(null=True)),
                ("experience", fields.FloatField(null=True)),
                ("nps", fields.IntField(null=True)),
                ("critical_failed", fields.BooleanField(default=False)),
                (
                    "scorecard",
                    fields.JSONField(
                        null=True,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
            ],
            options={
                "table": "audit",
                "app": "models",
                "indexes": [
                    Index(fields=["status", "checklist_slug", "visit_date"]),
                    Index(fields=["location", "status", "visit_date"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Delivery",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "audit",
                    fields.ForeignKeyField(
                        "models.Audit",
                        source_field="audit_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="deliveries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("recipient", fields.CharField(max_length=254)),
                ("status", fields.CharField(default="pending", max_length=16)),
                ("attempts", fields.IntField(default=0)),
                ("last_error", fields.TextField(default="", unique=False)),
                (
                    "next_attempt_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("sent_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "delivery",
                "app": "models",
                "unique_together": (("audit", "recipient"),),
                "pk_attr": "id",
                "table_description": "An e-mail of a report to an owner: failures are kept and retried, never lost.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ItemScore",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "audit",
                    fields.ForeignKeyField(
                        "models.Audit",
                        source_field="audit_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="item_scores",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("item_id", fields.CharField(max_length=80)),
                ("touchpoint", fields.CharField(max_length=40)),
                ("points", fields.FloatField()),
            ],
            options={
                "table": "item_score",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Points of each counted scored item of a submitted audit (weakest-item statistics).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LocationOwner",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="ownerships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "location",
                    fields.ForeignKeyField(
                        "models.Location",
                        source_field="location_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="ownerships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "location_owner",
                "app": "models",
                "unique_together": (("user", "location"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Photo",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("uuid", fields.CharField(unique=True, max_length=36)),
                (
                    "audit",
                    fields.ForeignKeyField(
                        "models.Audit",
                        source_field="audit_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="photos",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("item_id", fields.CharField(max_length=80)),
                ("path", fields.CharField(max_length=200)),
                ("thumb_path", fields.CharField(max_length=200)),
                ("sha256", fields.CharField(max_length=64)),
                ("width", fields.IntField()),
                ("height", fields.IntField()),
                ("size", fields.IntField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "photo", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ReviewEvent",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "audit",
                    fields.ForeignKeyField(
                        "models.Audit",
                        source_field="audit_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="review_events",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="actor_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="review_events",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("action", fields.CharField(max_length=16)),
                ("note", fields.TextField(default="", unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "review_event",
                "app": "models",
                "pk_attr": "id",
                "table_description": "The audit trail of HQ decisions (HQ reads it, owners never see it).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SectionScore",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "audit",
                    fields.ForeignKeyField(
                        "models.Audit",
                        source_field="audit_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="section_scores",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("section_id", fields.CharField(max_length=80)),
                ("touchpoint", fields.CharField(max_length=40)),
                ("weight", fields.FloatField()),
                ("score", fields.FloatField(null=True)),
            ],
            options={
                "table": "section_score",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One row per audit and section (and so per touchpoint) for SQL aggregates.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Session",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="sessions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("csrf_token", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "session",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Server-side session: the cookie carries the signed token, this row its rights.",
            },
            bases=["Model"],
        ),
    ]
