from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_covering_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReportBenchmarks',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('audit', fields.OneToOneField('models.Audit', source_field='audit_id', db_index=True, db_constraint=True, to_field='id', related_name='report_benchmarks', on_delete=OnDelete.CASCADE)),
                ('snapshot', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('as_of', fields.DateField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'report_benchmarks', 'app': 'models', 'pk_attr': 'id', 'table_description': "An approved audit's benchmarks as first reported, kept so its report never changes."},
            bases=['Model'],
        ),
    ]
