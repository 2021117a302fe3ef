from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0019_account_tokens')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Appeal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uuid', fields.CharField(unique=True, max_length=36)),
                ('audit', fields.ForeignKeyField('models.Audit', source_field='audit_id', db_index=True, db_constraint=True, to_field='id', related_name='appeals', on_delete=OnDelete.CASCADE)),
                ('item_id', fields.CharField(max_length=80)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='appeals', on_delete=OnDelete.SET_NULL)),
                ('reason', fields.TextField(unique=False)),
                ('proposed', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('photo_path', fields.CharField(null=True, max_length=200)),
                ('thumb_path', fields.CharField(null=True, max_length=200)),
                ('photo_sha256', fields.CharField(null=True, max_length=64)),
                ('status', fields.CharField(default='open', db_index=True, max_length=16)),
                ('open_key', fields.CharField(null=True, unique=True, max_length=120)),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('original', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('decided_answer', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('decision_note', fields.TextField(default='', unique=False)),
                ('decided_by', fields.ForeignKeyField('models.User', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='appeal_decisions', on_delete=OnDelete.SET_NULL)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('scores_before', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('scores_after', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('report_version', fields.IntField(null=True)),
            ],
            options={'table': 'appeal', 'app': 'models', 'pk_attr': 'id', 'table_description': "An owner's dispute of one item of an approved audit, and HQ's decision on it."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Audit',
            name='amended_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Audit',
            name='report_version',
            field=fields.IntField(default=1, db_default=1),
        ),
    ]
