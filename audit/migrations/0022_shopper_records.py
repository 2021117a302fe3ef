from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

# Shoppers' records (audit.store.shoppers) add up each auditor's submitted
# audits: read from this index alone, never from the audit rows with their
# large JSON columns (the review queue reads the records of the shoppers on
# its page at every load).


class Migration(migrations.Migration):
    dependencies = [('models', '0021_integrations')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Audit',
            index=Index(fields=['auditor_id', 'submitted_at', 'status', 'grade', 'trust_score', 'visit_date', 'id']),
        ),
        # Whether an audit was ever returned, answered from the index too.
        ops.AddIndex(
            model_name='ReviewEvent',
            index=Index(fields=['audit_id', 'action']),
        ),
    ]
