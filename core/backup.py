"""Backup to one archive and restore into an empty install (``manage.py backup`` / ``restore``).

The archive (tar.gz) holds:

- ``data.jsonl``: every row of every model, one JSON object a line (Django's serialization, so
  it loads into SQLite or PostgreSQL alike), written from a streaming iterator, so memory stays
  flat however large the base. Primary keys are kept; only content types and permissions, which
  ``migrate`` creates with install-specific ids, are referred to by natural key and not dumped.
  Sessions are not kept (everyone logs in again), nor tables the database keeps by triggers
  from others (``kept_by_database``: they fill again as the rows load).
- ``media/…``: the uploaded and generated files (MEDIA_ROOT);
- ``manifest.json``: format, Klientura version, database vendor, the applied migrations, the
  row count of every table and every file's size and SHA-256.

Restore checks the manifest (same migrations), extracts and verifies the files, then in one
transaction empties the tables (the rows ``migrate`` seeds), loads the rows, resets PostgreSQL
sequences and compares every table's row count with the manifest; any difference rolls it all
back. Only then the files move into MEDIA_ROOT.
"""

import contextlib
import datetime
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import tomllib
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.core.serializers import jsonl
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
MANIFEST, DATA, MEDIA = "manifest.json", "data.jsonl", "media"
# Created by ``migrate`` in every install (referred to by natural key), or not worth keeping.
NOT_DUMPED = {"contenttypes.contenttype", "auth.permission", "sessions.session"}
NATURAL_KEYS = {"contenttypes.contenttype", "auth.permission"}
CHUNK = 2000
# Python 3.11.4+ refuses links, devices and paths outside the target (names are checked too).
SAFE_EXTRACT = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


class Serializer(jsonl.Serializer):
    """JSON lines with natural keys only for content types and permissions: everything else
    keeps its primary key (a natural key per user reference would cost a query per row)."""

    def _natural(self, field):
        self.use_natural_foreign_keys = field.remote_field.model._meta.label_lower in NATURAL_KEYS

    def handle_fk_field(self, obj, field):
        self._natural(field)
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj, field):
        self._natural(field)
        super().handle_m2m_field(obj, field)


def dumped_models():
    return [m for m in _stored_models() if not getattr(m, "kept_by_database", False)]


def _stored_models():
    return [m for m in apps.get_models() if m._meta.managed and not m._meta.proxy
            and m._meta.label_lower not in NOT_DUMPED]


def rebuilt_models():
    """Tables the database's own triggers fill as the rows load (e.g. sales' sale days): emptied
    with the others, never dumped."""
    return [m for m in _stored_models() if getattr(m, "kept_by_database", False)]


def tables(models):
    """The tables of ``models`` with their automatic many-to-many tables."""
    names = []
    for model in models:
        names.append(model._meta.db_table)
        names += [f.remote_field.through._meta.db_table for f in model._meta.local_many_to_many
                  if f.remote_field.through._meta.auto_created]
    return names


def row_counts(names):
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        counts = {}
        for name in names:
            cursor.execute(f"SELECT COUNT(*) FROM {qn(name)}")  # noqa: S608 (quoted table names)
            counts[name] = cursor.fetchone()[0]
    return counts


def migrations_applied():
    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())


def file_digest(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def media_files(root):
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def version():
    try:
        with open(settings.BASE_DIR / "pyproject.toml", "rb") as f:
            return tomllib.load(f)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


# --- Backup ------------------------------------------------------------------------------------

def backup(output):
    """Write the archive to ``output``; returns the manifest."""
    output = Path(output)
    with tempfile.TemporaryDirectory(dir=output.parent) as tmp:
        data = Path(tmp) / DATA
        # One snapshot, so the rows and counts agree while users keep working (on SQLite the
        # transaction holds the write lock: writers wait until the dump is written).
        snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic():
            if snapshot:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            manifest = _dump(data)
        media_root = Path(settings.MEDIA_ROOT)
        files = [{"path": p.relative_to(media_root).as_posix(), "size": p.stat().st_size,
                  "sha256": file_digest(p)} for p in media_files(media_root)]
        manifest.update(files=files, data={"size": data.stat().st_size, "sha256": file_digest(data)})
        (Path(tmp) / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
        partial = Path(tmp) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(Path(tmp) / MANIFEST, MANIFEST)
            tar.add(data, DATA)
            for f in files:
                tar.add(media_root / f["path"], f"{MEDIA}/{f['path']}")
        os.replace(partial, output)  # never a half-written archive under the final name
    return manifest


def _dump(path):
    models = dumped_models()
    with open(path, "w", encoding="utf-8") as stream:
        serializer = Serializer()
        for model in models:
            rows = model._base_manager.order_by("pk").iterator(chunk_size=CHUNK)  # trashed rows too
            serializer.serialize(rows, stream=stream)
    return {
        "format": FORMAT, "application": "klientura", "version": version(),
        "created_at": timezone.now().isoformat(), "database": connection.vendor,
        "migrations": migrations_applied(), "tables": row_counts(tables(models)),
    }


# --- Restore -----------------------------------------------------------------------------------

def read_manifest(tar):
    try:
        manifest = json.load(tar.extractfile(MANIFEST))
    except (KeyError, ValueError, AttributeError) as e:
        raise CommandError(f"Not a Klientura backup (no readable {MANIFEST}).") from e
    if manifest.get("format") != FORMAT or manifest.get("application") != "klientura":
        raise CommandError(f"Unsupported backup format {manifest.get('format')!r}.")
    return manifest


def check_target(manifest, force):
    archive, here = set(manifest["migrations"]), set(migrations_applied())
    if archive != here:
        missing, extra = sorted(archive - here), sorted(here - archive)
        raise CommandError(
            "The backup was made with other migrations than this install has; restore it with the "
            f"same Klientura version, then upgrade. Not applied here: {', '.join(missing) or '—'}; "
            f"not in the backup: {', '.join(extra) or '—'}. (Run `manage.py migrate` first.)")
    if set(manifest["tables"]) != set(tables(dumped_models())):
        raise CommandError("The backup's tables differ from this install's.")
    if force:
        return
    if get_user_model()._base_manager.exists():
        raise CommandError("The database is not empty (it has users): restore into a new, migrated "
                           "install, or pass --force to replace everything in it.")
    if media_files(settings.MEDIA_ROOT):
        raise CommandError(f"MEDIA_ROOT ({settings.MEDIA_ROOT}) has files: empty it, or pass --force.")


def extract(tar, manifest, into):
    """Extract and verify the data file and the media files; refuses anything unexpected."""
    expected = {DATA: manifest["data"]} | {f"{MEDIA}/{f['path']}": f for f in manifest["files"]}
    seen = set()
    for member in tar:
        if member.name == MANIFEST:
            continue
        name = PurePosixPath(member.name)
        if member.name not in expected or not member.isfile() or name.is_absolute() or ".." in name.parts:
            raise CommandError(f"Unexpected entry in the backup: {member.name}")
        tar.extract(member, into, **SAFE_EXTRACT)
        seen.add(member.name)
    for name, info in expected.items():
        path = Path(into) / name
        if name not in seen or path.stat().st_size != info["size"] or file_digest(path) != info["sha256"]:
            raise CommandError(f"{name} is missing or damaged in the backup.")


def restore(archive, force=False):
    """Restore ``archive``; returns the manifest."""
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    try:
        tar = tarfile.open(archive, "r:gz")
    except (tarfile.TarError, OSError) as e:
        raise CommandError(f"Cannot read {archive}: {e}") from e
    with tar, tempfile.TemporaryDirectory(dir=media_root.parent) as tmp:
        manifest = read_manifest(tar)
        check_target(manifest, force)
        extract(tar, manifest, tmp)
        with transaction.atomic():
            _load(Path(tmp) / DATA, manifest)
        _replace_media(Path(tmp) / MEDIA, media_root, Path(tmp) / "old-media")
    return manifest


def _load(data, manifest):
    models = dumped_models()
    with connection.cursor() as cursor:
        # Empty what migrate seeded (and, with --force, everything), sessions included: an old
        # session must not log in as whoever gets its user id now.
        session_tables = [apps.get_model("sessions", "Session")._meta.db_table] if apps.is_installed(
            "django.contrib.sessions") else []
        flush = connection.ops.sql_flush(no_style(), [*tables(models), *tables(rebuilt_models()), *session_tables])
        with constraints_checked_now():
            for sql in flush:
                cursor.execute(sql)
        call_command("loaddata", str(data), verbosity=0)
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
    counts = row_counts(manifest["tables"])
    wrong = {t: (n, counts[t]) for t, n in manifest["tables"].items() if counts[t] != n}
    if wrong:
        raise CommandError("Row counts differ from the backup's (expected, found): "
                           + ", ".join(f"{t} {n}" for t, n in wrong.items()))


@contextlib.contextmanager
def constraints_checked_now():
    """PostgreSQL refuses to TRUNCATE a table with deferred foreign-key checks pending in the
    transaction (rows written earlier in it): run those checks first."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _replace_media(restored, media_root, old):
    # Entry by entry, not the directory itself: MEDIA_ROOT may be a mount point.
    media_root.mkdir(parents=True, exist_ok=True)
    old.mkdir()
    for entry in media_root.iterdir():
        shutil.move(entry, old / entry.name)
    if restored.is_dir():
        for entry in restored.iterdir():
            shutil.move(entry, media_root / entry.name)
    shutil.rmtree(old, ignore_errors=True)


def default_name():
    return f"klientura-{datetime.datetime.now():%Y%m%d-%H%M%S}.tar.gz"
