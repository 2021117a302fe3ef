from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_audit_revision')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Audit',
            name='touchpoint_dates',
            field=fields.JSONField(null=True),
        ),
    ]
