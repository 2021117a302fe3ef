from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Each person's language (audit.i18n): the PWA's, their reports' and their
# e-mails'. Null until they choose one: then the browser's or AUDIT_LANGUAGE.


class Migration(migrations.Migration):
    dependencies = [('models', '0023_assignment_notices')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='language',
            field=fields.CharField(max_length=8, null=True),
        ),
    ]
