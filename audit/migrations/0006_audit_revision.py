from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_rollup_totals')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Audit',
            name='revision',
            field=fields.IntField(default=1, db_default=1),
        ),
        ops.AddField(
            model_name='Audit',
            name='submitted_revision',
            field=fields.IntField(null=True),
        ),
    ]
