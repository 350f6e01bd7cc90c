"""Categories form a tree: ``parent`` and the stored ``path`` ("A › B"); every existing category is a
root, so its path is its name (its history too, so the first change shows no spurious path)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F


def fill_paths(apps, schema_editor):
    for name in ("ArticleCategory", "HistoricalArticleCategory"):
        apps.get_model("knowledge", name).objects.update(path=F("name"))


class Migration(migrations.Migration):

    dependencies = [
        ('knowledge', '0003_search_index'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='articlecategory',
            options={'ordering': ['path', 'pk'], 'verbose_name': 'article category', 'verbose_name_plural': 'article categories'},
        ),
        migrations.AddField(
            model_name='articlecategory',
            name='parent',
            field=models.ForeignKey(blank=True, help_text='Empty: a top-level category.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='knowledge.articlecategory', verbose_name='parent category'),
        ),
        migrations.AddField(
            model_name='articlecategory',
            name='path',
            field=models.TextField(blank=True, editable=False, verbose_name='full name'),
        ),
        migrations.AddField(
            model_name='historicalarticlecategory',
            name='parent',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='Empty: a top-level category.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='knowledge.articlecategory', verbose_name='parent category'),
        ),
        migrations.AddField(
            model_name='historicalarticlecategory',
            name='path',
            field=models.TextField(blank=True, editable=False, verbose_name='full name'),
        ),
        migrations.RunPython(fill_paths, migrations.RunPython.noop),
    ]
