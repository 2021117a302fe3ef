from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Consistency across touchpoints (docs/scoring.md, "Consistency"): each
# submitted audit's consistency score on its row, as its overall is, and its
# sum and count in the rollups, so HQ's heat map reads it as its own column.
# Outside the covering indexes: only checklists with rules read them.


class Migration(migrations.Migration):
    dependencies = [('models', '0015_proof_of_visit')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Audit',
            name='consistency',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='MonthRollup',
            name='consistency_sum',
            field=fields.FloatField(default=0.0, db_default=0.0),
        ),
        ops.AddField(
            model_name='MonthRollup',
            name='consistency_count',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='TotalRollup',
            name='consistency_sum',
            field=fields.FloatField(default=0.0, db_default=0.0),
        ),
        ops.AddField(
            model_name='TotalRollup',
            name='consistency_count',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
