from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

# Waves of visits and the job board (docs/programme.md): a wave makes its
# assignments in bulk; an open assignment is claimed by one conditional UPDATE;
# a wave's progress reads the assignment index alone, joined to its audits.

class Migration(migrations.Migration):
    dependencies = [('models', '0011_owner_text')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Wave',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=200)),
                ('checklist_slug', fields.CharField(max_length=80)),
                ('checklist', fields.ForeignKeyField('models.ChecklistVersion', source_field='checklist_id', db_index=True, db_constraint=True, to_field='id', related_name='waves', on_delete=OnDelete.RESTRICT)),
                ('starts_on', fields.DateField()),
                ('ends_on', fields.DateField()),
                ('visits_per_location', fields.IntField(default=1)),
                ('coverage', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('allow_repeat', fields.BooleanField(default=False)),
                ('release_days', fields.IntField(default=2)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='waves', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'wave', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A round of visits: one pinned checklist version, locations, a window, visits each.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Assignment',
            name='claimed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Assignment',
            name='coverage',
            field=fields.CharField(default='', max_length=40),
        ),
        ops.AddField(
            model_name='Assignment',
            name='opens_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Assignment',
            name='release_by',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Assignment',
            name='wave',
            field=fields.ForeignKeyField('models.Wave', source_field='wave_id', null=True, db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.CASCADE),
        ),
        ops.AddIndex(
            model_name='Assignment',
            index=Index(fields=['wave_id', 'location_id', 'auditor_id', 'due', 'audit_uuid']),
        ),
        ops.AddIndex(
            model_name='Assignment',
            index=Index(fields=['auditor_id', 'audit_uuid', 'due']),
        ),
        ops.AddIndex(
            model_name='Assignment',
            index=Index(fields=['audit_uuid']),
        ),
    ]
