from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# Brands as tenants of the agency (docs/brands.md): the brands an HQ user or
# auditor is limited to (none: the agency's own staff), and the brand a
# checklist version belongs to (null: the agency's, for every brand).


class Migration(migrations.Migration):
    dependencies = [('models', '0023_assignment_notices')]

    initial = False

    operations = [
        ops.CreateModel(
            name='UserBrand',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='brands', on_delete=OnDelete.CASCADE)),
                ('brand', fields.ForeignKeyField('models.Brand', source_field='brand_id', db_index=True, db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'user_brand', 'app': 'models', 'unique_together': (('user', 'brand'),), 'pk_attr': 'id', 'table_description': 'A brand an HQ user or auditor is limited to.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ChecklistVersion',
            name='brand',
            field=fields.ForeignKeyField('models.Brand', source_field='brand_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='checklists', on_delete=OnDelete.SET_NULL),
        ),
    ]
