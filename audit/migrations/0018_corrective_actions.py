from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

# Corrective actions of owners (issue 15), and e-mails other than the report in
# the delivery queue: a reminder of an overdue action is its own delivery,
# once per action, owner and day (Delivery.purpose).


OLD_UNIQUE = "uid_delivery_audit_i_16fd5d"  # named by 0001_initial
NEW_UNIQUE = "uid_delivery_audit_purpose"
# SQLite cannot drop a table's UNIQUE constraint (Tortoise 1.1.9 tries DROP
# INDEX and fails), so the table is rebuilt, as SQLite's manual describes.
SQLITE_REBUILD = (
    'CREATE TABLE "delivery_new" ('
    ' "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,'
    ' "recipient" VARCHAR(254) NOT NULL,'
    ' "status" VARCHAR(16) NOT NULL,'
    ' "attempts" INT NOT NULL,'
    ' "last_error" TEXT NOT NULL,'
    ' "next_attempt_at" TIMESTAMP,'
    ' "sent_at" TIMESTAMP,'
    ' "created_at" TIMESTAMP NOT NULL,'
    ' "audit_id" INT NOT NULL REFERENCES "audit" ("id") ON DELETE CASCADE,'
    " \"purpose\" VARCHAR(80) NOT NULL DEFAULT 'report',"
    f' CONSTRAINT "{NEW_UNIQUE}" UNIQUE ("audit_id", "recipient", "purpose"))',
    'INSERT INTO "delivery_new" (id, recipient, status, attempts, last_error,'
    " next_attempt_at, sent_at, created_at, audit_id, purpose)"
    " SELECT id, recipient, status, attempts, last_error, next_attempt_at, sent_at,"
    ' created_at, audit_id, purpose FROM "delivery"',
    'DROP TABLE "delivery"',
    'ALTER TABLE "delivery_new" RENAME TO "delivery"',
    'CREATE INDEX "idx_delivery_audit_i_d0f950" ON "delivery" ("audit_id")',
)
POSTGRES_SWAP = (
    f'ALTER TABLE "delivery" DROP CONSTRAINT "{OLD_UNIQUE}"',
    f'ALTER TABLE "delivery" ADD CONSTRAINT "{NEW_UNIQUE}"'
    ' UNIQUE ("audit_id", "recipient", "purpose")',
)


async def widen_delivery_unique(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for statement in POSTGRES_SWAP if postgres else SQLITE_REBUILD:
        await client.execute_query(statement)


class _StateOnlyRemoveConstraint(ops.RemoveConstraint):
    """The model state's change; the database's is widen_delivery_unique."""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None


class _StateOnlyAddConstraint(ops.AddConstraint):
    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0017_consistency')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CorrectiveAction',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('audit', fields.ForeignKeyField('models.Audit', source_field='audit_id', db_index=True, db_constraint=True, to_field='id', related_name='actions', on_delete=OnDelete.CASCADE)),
                ('location', fields.ForeignKeyField('models.Location', source_field='location_id', db_index=True, db_constraint=True, to_field='id', related_name='actions', on_delete=OnDelete.CASCADE)),
                ('item_id', fields.CharField(max_length=80)),
                ('touchpoint', fields.CharField(max_length=40)),
                ('what', fields.TextField(unique=False)),
                ('who', fields.CharField(max_length=200)),
                ('due', fields.DateField()),
                ('status', fields.CharField(default='open', max_length=16)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('note', fields.TextField(default='', unique=False)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='actions', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'corrective_action', 'app': 'models', 'unique_together': (('audit', 'item_id'),), 'indexes': [Index(fields=['status', 'due'])], 'pk_attr': 'id', 'table_description': "What a location's owner will do about one failed or weak item of an approved audit."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Delivery',
            name='purpose',
            field=fields.CharField(default='report', db_default='report', max_length=80),
        ),
        _StateOnlyRemoveConstraint(
            model_name='Delivery',
            name=None,
            fields=['audit', 'recipient'],
        ),
        _StateOnlyAddConstraint(
            model_name='Delivery',
            constraint=UniqueConstraint(fields=('audit', 'recipient', 'purpose'), name=None),
        ),
        ops.RunPython(widen_delivery_unique),
    ]
