from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Editor QA (docs/programme.md, "Editor QA"): HQ's 1-5 grade of the shopper's
# report with its note and HQ's notes per item on a returned audit, on the
# audit's row (read with it); each review event keeps the grade it gave and
# the details of the change (item notes, an owner's copy before and after).


class Migration(migrations.Migration):
    dependencies = [('models', '0012_waves')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Audit',
            name='grade',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Audit',
            name='grade_note',
            field=fields.TextField(default='', db_default=''),
        ),
        ops.AddField(
            model_name='Audit',
            name='item_notes',
            field=fields.JSONField(null=True),
        ),
        ops.AddField(
            model_name='ReviewEvent',
            name='grade',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='ReviewEvent',
            name='detail',
            field=fields.JSONField(null=True),
        ),
    ]
