from tortoise import migrations
from tortoise.migrations import operations as ops

# The league table counts each location's audits with a critical failure
# (audit.store.aggregates.critical_failures).  Few audits fail a critical
# item, so a partial index holds only those: the count reads it alone instead
# of every approved audit's row.  The query repeats the index's condition
# literally, as SQLite's planner needs to use a partial index.


class Migration(migrations.Migration):
    dependencies = [('models', '0007_touchpoint_dates')]

    initial = False

    operations = [
        ops.RunSQL(
            "CREATE INDEX audit_critical_failed ON audit "
            "(checklist_slug, visit_date, location_id, checklist_id) "
            "WHERE status = 'approved' AND critical_failed = TRUE",
            reverse_sql="DROP INDEX audit_critical_failed",
        ),
    ]
