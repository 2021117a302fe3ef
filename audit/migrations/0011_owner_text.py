from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# HQ's owner-facing copy of free text and its clearance, per item and field
# (audit.redaction): small, read with the audit, so a JSON column of its row.


class Migration(migrations.Migration):
    dependencies = [('models', '0009_critical_failures_index')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Audit',
            name='owner_text',
            field=fields.JSONField(null=True),
        ),
    ]
