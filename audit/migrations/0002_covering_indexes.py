from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Audit',
            name=None,
            fields=['status', 'checklist_slug', 'visit_date'],
        ),
        ops.RemoveIndex(
            model_name='Audit',
            name=None,
            fields=['location_id', 'status', 'visit_date'],
        ),
        ops.AddIndex(
            model_name='Audit',
            index=Index(fields=['status', 'checklist_slug', 'visit_date', 'location_id', 'checklist_id', 'overall', 'service', 'experience', 'nps']),
        ),
        ops.AddIndex(
            model_name='Audit',
            index=Index(fields=['location_id', 'status', 'visit_date', 'checklist_slug', 'checklist_id', 'overall', 'service', 'experience', 'nps']),
        ),
        ops.AddIndex(
            model_name='SectionScore',
            index=Index(fields=['audit_id', 'touchpoint', 'weight', 'score']),
        ),
    ]
