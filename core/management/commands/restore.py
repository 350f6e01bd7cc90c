"""``manage.py restore FILE [--force]``: a ``manage.py backup`` archive into an empty install."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core import backup


class Command(BaseCommand):
    help = ("Restore a backup archive into an empty, migrated install (all or nothing), then check "
            "every table's row count and every file against the archive's manifest.")

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="The .tar.gz written by manage.py backup.")
        parser.add_argument("--force", action="store_true",
                            help="Replace the data and files of a database that is not empty.")

    def handle(self, *args, archive, force, **options):
        if not archive.is_file():
            raise CommandError(f"No such file: {archive}")
        manifest = backup.restore(archive, force=force)
        self.stdout.write(f"Restored {sum(manifest['tables'].values())} rows in {len(manifest['tables'])} "
                          f"tables and {len(manifest['files'])} files from {archive} "
                          f"(Klientura {manifest['version']}, {manifest['created_at']}).")
