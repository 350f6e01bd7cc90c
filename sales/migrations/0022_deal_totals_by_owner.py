# The deal totals gain the responsible and the client's main manager as keys: the table is a
# rollup (derived), so it is made again; core.rollups.ensure fills it after migrate.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.rollups import dropper


class Migration(migrations.Migration):

    dependencies = [
        ('sales', '0021_money_days'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(dropper("sales_dealtotal", "sales_deal"), migrations.RunPython.noop),
        migrations.DeleteModel(name='DealTotal'),
        migrations.CreateModel(
            name='DealTotal',
            fields=[
                ('pk', models.CompositePrimaryKey('stage', 'currency', 'close_month', 'responsible', 'client_manager', blank=True, editable=False, primary_key=True, serialize=False)),
                ('currency', models.CharField(max_length=3)),
                ('close_month', models.DateField()),
                ('client_manager', models.IntegerField()),
                ('count', models.IntegerField()),
                ('amount', models.DecimalField(decimal_places=2, max_digits=24)),
                ('weighted', models.DecimalField(decimal_places=2, max_digits=26)),
                ('unweighted', models.DecimalField(decimal_places=2, max_digits=24)),
                ('stage', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='sales.stage')),
                ('responsible', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'deal totals',
                'verbose_name_plural': 'deal totals',
            },
        ),
        migrations.RunPython(migrations.RunPython.noop, dropper("sales_dealtotal", "sales_deal", ["clients_counterparty"])),
    ]
