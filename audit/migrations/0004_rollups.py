from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# The rollups' backfill, frozen as of this migration (audit/store/rollups.py
# holds the living copy): every approved audit with a visit date is marked
# rolled up and counted.  {month} is the dialect's first day of the month.
MONTHS = {
    "postgres": "CAST(date_trunc('month', a.visit_date) AS DATE)",
    "sqlite": "substr(a.visit_date, 1, 7) || '-01'",
}
BACKFILL = (
    "UPDATE audit SET rolled_up = TRUE WHERE status = 'approved' AND visit_date IS NOT NULL",
    "INSERT INTO month_rollup (location_id, checklist_id, checklist_slug, month, audits, "
    "overall_sum, overall_count, service_sum, service_count, experience_sum, experience_count, "
    "nps_promoters, nps_detractors, nps_answers) "
    "SELECT a.location_id, a.checklist_id, a.checklist_slug, {month}, COUNT(*), "
    "COALESCE(SUM(a.overall), 0), COUNT(a.overall), COALESCE(SUM(a.service), 0), "
    "COUNT(a.service), COALESCE(SUM(a.experience), 0), COUNT(a.experience), "
    "COUNT(CASE WHEN a.nps >= 9 THEN 1 END), COUNT(CASE WHEN a.nps <= 6 THEN 1 END), "
    "COUNT(a.nps) FROM audit a WHERE a.rolled_up "
    "GROUP BY a.location_id, a.checklist_id, a.checklist_slug, {month}",
    "INSERT INTO touchpoint_rollup (location_id, checklist_id, checklist_slug, month, "
    "touchpoint, score_sum, score_count) "
    "SELECT t.location_id, t.checklist_id, t.checklist_slug, t.month, t.touchpoint, "
    "COALESCE(SUM(t.score), 0), COUNT(t.score) FROM ("
    "SELECT a.location_id, a.checklist_id, a.checklist_slug, {month} AS month, s.touchpoint, "
    "CASE WHEN COUNT(s.score) = 1 THEN MAX(s.score) ELSE SUM(s.weight * s.score) "
    "/ NULLIF(SUM(CASE WHEN s.score IS NOT NULL THEN s.weight END), 0) END AS score "
    "FROM audit a JOIN section_score s ON s.audit_id = a.id WHERE a.rolled_up "
    "GROUP BY a.id, a.location_id, a.checklist_id, a.checklist_slug, a.visit_date, "
    "s.touchpoint) t "
    "GROUP BY t.location_id, t.checklist_id, t.checklist_slug, t.month, t.touchpoint",
)


async def backfill(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    month = MONTHS["postgres" if client.capabilities.dialect == "postgres" else "sqlite"]
    for statement in BACKFILL:
        await client.execute_query(statement.format(month=month))


class Migration(migrations.Migration):
    dependencies = [('models', '0003_report_benchmarks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MonthRollup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('location', fields.ForeignKeyField('models.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='month_rollups', on_delete=OnDelete.CASCADE)),
                ('checklist', fields.ForeignKeyField('models.ChecklistVersion', source_field='checklist_id', db_constraint=True, to_field='id', related_name='month_rollups', on_delete=OnDelete.CASCADE)),
                ('checklist_slug', fields.CharField(max_length=80)),
                ('month', fields.DateField()),
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
            options={'table': 'month_rollup', 'app': 'models', 'unique_together': (('location', 'checklist', 'checklist_slug', 'month'),), 'indexes': [Index(fields=['checklist_slug', 'location_id', 'month', 'checklist_id', 'audits', 'overall_sum', 'overall_count', 'service_sum', 'service_count', 'experience_sum', 'experience_count', 'nps_promoters', 'nps_detractors', 'nps_answers'])], 'pk_attr': 'id', 'table_description': "Sums and counts of one location's approved audits of one checklist version in a month."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TouchpointRollup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('location', fields.ForeignKeyField('models.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='touchpoint_rollups', on_delete=OnDelete.CASCADE)),
                ('checklist', fields.ForeignKeyField('models.ChecklistVersion', source_field='checklist_id', db_constraint=True, to_field='id', related_name='touchpoint_rollups', on_delete=OnDelete.CASCADE)),
                ('checklist_slug', fields.CharField(max_length=80)),
                ('month', fields.DateField()),
                ('touchpoint', fields.CharField(max_length=40)),
                ('score_sum', fields.FloatField(default=0.0)),
                ('score_count', fields.IntField(default=0)),
            ],
            options={'table': 'touchpoint_rollup', 'app': 'models', 'unique_together': (('location', 'checklist', 'checklist_slug', 'month', 'touchpoint'),), 'indexes': [Index(fields=['checklist_slug', 'location_id', 'touchpoint', 'month', 'checklist_id', 'score_sum', 'score_count'])], 'pk_attr': 'id', 'table_description': "Sum and count of the audits' touchpoint scores behind one MonthRollup, per touchpoint."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Audit',
            name='rolled_up',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        # The approved audits the rollups do not count yet (normally none):
        # comparisons read them from their rows through this small index.
        # Equality on its first three columns makes SQLite, which has no
        # statistics, prefer it to the wider covering indexes.
        ops.RunSQL(
            "CREATE INDEX audit_not_rolled_up ON audit "
            "(status, checklist_slug, rolled_up, visit_date, location_id) "
            "WHERE status = 'approved' AND rolled_up = FALSE",
            reverse_sql="DROP INDEX audit_not_rolled_up",
        ),
        ops.RunPython(backfill),
    ]
