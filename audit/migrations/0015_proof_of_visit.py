from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# Proof of visit (audit.trust): locations get coordinates, opening hours and a
# time zone; each audit its check-in and check-out (visit_check) and the trust
# score computed at submission.  HQ's review queue filters submitted audits
# by that score: a partial index holds only those.  The photo index finds the
# same bytes in another audit.


class Migration(migrations.Migration):
    dependencies = [('models', '0014_editor_qa')]

    initial = False

    operations = [
        ops.AddField(model_name='Location', name='latitude', field=fields.FloatField(null=True)),
        ops.AddField(model_name='Location', name='longitude', field=fields.FloatField(null=True)),
        ops.AddField(model_name='Location', name='opening_hours', field=fields.JSONField(null=True)),
        ops.AddField(
            model_name='Location', name='timezone', field=fields.CharField(max_length=64, null=True)
        ),
        ops.AddField(model_name='Audit', name='trust_score', field=fields.IntField(null=True)),
        ops.AddField(model_name='Audit', name='trust', field=fields.JSONField(null=True)),
        ops.AddIndex(model_name='Photo', index=Index(fields=['sha256', 'audit_id'])),
        ops.CreateModel(
            name='VisitCheck',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('audit', fields.ForeignKeyField('models.Audit', source_field='audit_id', db_index=True, db_constraint=True, to_field='id', related_name='visit_checks', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('permission', fields.CharField(max_length=16, default='granted')),
                ('latitude', fields.FloatField(null=True)),
                ('longitude', fields.FloatField(null=True)),
                ('accuracy', fields.FloatField(null=True)),
                ('device_time', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'visit_check', 'app': 'models', 'unique_together': (('audit', 'kind'),), 'pk_attr': 'id', 'table_description': 'A check-in or check-out of an audit: the phone\'s reading, and when it arrived.'},
            bases=['Model'],
        ),
        ops.RunSQL(
            "CREATE INDEX audit_review_trust ON audit (trust_score, submitted_at) "
            "WHERE status = 'submitted'",
            reverse_sql="DROP INDEX audit_review_trust",
        ),
    ]
