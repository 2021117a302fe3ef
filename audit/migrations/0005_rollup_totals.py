from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# The totals' backfill, frozen as of this migration (audit/store/rollups.py
# holds the living copy): the audits the monthly rollups count (rolled_up),
# added up over all months.
BACKFILL = (
    "INSERT INTO total_rollup (location_id, checklist_id, checklist_slug, audits, "
    "overall_sum, overall_count, service_sum, service_count, experience_sum, experience_count, "
    "nps_promoters, nps_detractors, nps_answers) "
    "SELECT a.location_id, a.checklist_id, a.checklist_slug, COUNT(*), "
    "COALESCE(SUM(a.overall), 0), COUNT(a.overall), COALESCE(SUM(a.service), 0), "
    "COUNT(a.service), COALESCE(SUM(a.experience), 0), COUNT(a.experience), "
    "COUNT(CASE WHEN a.nps >= 9 THEN 1 END), COUNT(CASE WHEN a.nps <= 6 THEN 1 END), "
    "COUNT(a.nps) FROM audit a WHERE a.rolled_up "
    "GROUP BY a.location_id, a.checklist_id, a.checklist_slug",
    "INSERT INTO touchpoint_total_rollup (location_id, checklist_id, checklist_slug, "
    "touchpoint, score_sum, score_count) "
    "SELECT t.location_id, t.checklist_id, t.checklist_slug, t.touchpoint, "
    "COALESCE(SUM(t.score), 0), COUNT(t.score) FROM ("
    "SELECT a.location_id, a.checklist_id, a.checklist_slug, s.touchpoint, "
    "CASE WHEN COUNT(s.score) = 1 THEN MAX(s.score) ELSE SUM(s.weight * s.score) "
    "/ NULLIF(SUM(CASE WHEN s.score IS NOT NULL THEN s.weight END), 0) END AS score "
    "FROM audit a JOIN section_score s ON s.audit_id = a.id WHERE a.rolled_up "
    "GROUP BY a.id, a.location_id, a.checklist_id, a.checklist_slug, s.touchpoint) t "
    "GROUP BY t.location_id, t.checklist_id, t.checklist_slug, t.touchpoint",
)


async def backfill(apps: Any, schema_editor: Any) -> None:
    for statement in BACKFILL:
        await schema_editor.client.execute_query(statement)


class Migration(migrations.Migration):
    dependencies = [('models', '0004_rollups')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TotalRollup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('location', fields.ForeignKeyField('models.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='total_rollups', on_delete=OnDelete.CASCADE)),
                ('checklist', fields.ForeignKeyField('models.ChecklistVersion', source_field='checklist_id', db_constraint=True, to_field='id', related_name='total_rollups', on_delete=OnDelete.CASCADE)),
                ('checklist_slug', fields.CharField(max_length=80)),
                ('audits', fields.IntField(default=0)),
                ('overall_sum', fields.FloatField(default=0.0)),
                ('overall_count', fields.IntField(default=0)),
                ('service_sum', fields.FloatField(default=0.0)),
                ('service_count', fields.IntField(default=0)),
                ('experience_sum', fields.FloatField(default=0.0)),
                ('experience_count', fields.IntField(default=0)),
                ('nps_promoters', fields.IntField(default=0)),
                ('nps_detractors', fields.IntField(default=0)),
                ('nps_answers', fields.IntField(default=0)),
            ],
            options={'table': 'total_rollup', 'app': 'models', 'unique_together': (('location', 'checklist', 'checklist_slug'),), 'indexes': [Index(fields=['checklist_slug', 'location_id', 'checklist_id', 'audits', 'overall_sum', 'overall_count', 'service_sum', 'service_count', 'experience_sum', 'experience_count', 'nps_promoters', 'nps_detractors', 'nps_answers'])], 'pk_attr': 'id', 'table_description': 'MonthRollup over every month: a comparison without dates reads these rows alone.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TouchpointTotalRollup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('location', fields.ForeignKeyField('models.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='touchpoint_total_rollups', on_delete=OnDelete.CASCADE)),
                ('checklist', fields.ForeignKeyField('models.ChecklistVersion', source_field='checklist_id', db_constraint=True, to_field='id', related_name='touchpoint_total_rollups', on_delete=OnDelete.CASCADE)),
                ('checklist_slug', fields.CharField(max_length=80)),
                ('touchpoint', fields.CharField(max_length=40)),
                ('score_sum', fields.FloatField(default=0.0)),
                ('score_count', fields.IntField(default=0)),
            ],
            options={'table': 'touchpoint_total_rollup', 'app': 'models', 'unique_together': (('location', 'checklist', 'checklist_slug', 'touchpoint'),), 'indexes': [Index(fields=['checklist_slug', 'location_id', 'touchpoint', 'checklist_id', 'score_sum', 'score_count'])], 'pk_attr': 'id', 'table_description': 'TouchpointRollup over every month.'},
            bases=['Model'],
        ),
        # Trends group the monthly touchpoint sums by month.
        ops.AddIndex(
            model_name='TouchpointRollup',
            index=Index(fields=['checklist_slug', 'month', 'touchpoint', 'location_id', 'checklist_id', 'score_sum', 'score_count']),
        ),
        ops.RunPython(backfill),
    ]
