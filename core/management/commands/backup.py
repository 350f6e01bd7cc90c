"""``manage.py backup [--output FILE]``: the database and MEDIA_ROOT in one tar.gz (core.backup)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from core import backup


class Command(BaseCommand):
    help = "Back up the database and the uploaded and generated files to one archive (tar.gz)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", type=Path,
                            help="Archive to write (default: VAR_DIR/backups/klientura-<date>-<time>.tar.gz).")

    def handle(self, *args, output, **options):
        if output is None:
            output = Path(settings.VAR_DIR) / "backups" / backup.default_name()
        output.parent.mkdir(parents=True, exist_ok=True)
        manifest = backup.backup(output)
        self.stdout.write(f"Backed up {sum(manifest['tables'].values())} rows in {len(manifest['tables'])} "
                          f"tables and {len(manifest['files'])} files to {output}")
