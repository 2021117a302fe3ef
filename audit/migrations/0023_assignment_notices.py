from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# The e-mail telling an auditor that HQ gave them a visit (docs/programme.md,
# "The job board"): a queue of its own beside the report deliveries, sent by
# the same mailer with the same lease per attempt.


class Migration(migrations.Migration):
    dependencies = [('models', '0022_shopper_records')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AssignmentNotice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('assignment', fields.ForeignKeyField('models.Assignment', source_field='assignment_id', db_index=True, db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.CASCADE)),
                ('recipient', fields.CharField(max_length=254)),
                ('status', fields.CharField(default='pending', max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'assignment_notice', 'app': 'models', 'unique_together': (('assignment', 'recipient'),), 'pk_attr': 'id', 'table_description': 'The e-mail telling an auditor that HQ gave them a visit: kept and retried, never lost.'},
            bases=['Model'],
        ),
    ]
