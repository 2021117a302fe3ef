from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# Invitations and password resets (docs/onboarding.md): single-use links
# stored as hashes, each row also its e-mail's place in a queue every node
# shares (audit.store.account_tokens).


class Migration(migrations.Migration):
    dependencies = [('models', '0018_corrective_actions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='account_tokens', on_delete=OnDelete.CASCADE)),
                ('purpose', fields.CharField(max_length=16)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('nonce', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('spent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('mail_status', fields.CharField(default='pending', max_length=16)),
                ('mail_attempts', fields.IntField(default=0)),
                ('mail_next_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('mail_error', fields.TextField(default='')),
                ('mail_sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_token', 'app': 'models', 'pk_attr': 'id', 'table_description': None},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='AccountToken',
            index=Index(fields=['mail_status', 'mail_next_at']),
        ),
    ]
