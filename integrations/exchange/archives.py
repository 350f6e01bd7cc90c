"""ZIP archives 1C uploads when the site answers ``zip=yes`` to ``mode=init``.

The archive holds import.xml / offers.xml (or import0_1.xml …) and the pictures under
import_files/. ``unpack`` writes the ``.xml`` members, by their last name, into the session's
folder, and the pictures (``PICTURES``) under ``files/`` by their path in the archive, as
``Товар/Картинка`` names them; anything else is skipped. An archive is refused whole — nothing
of it is written — when a member's name climbs out (``../``, an absolute path, a drive), when it
holds too many members, or when its XML would unpack larger than the limits (a zip bomb: the
declared sizes are checked first, and the bytes really unpacked are counted as well).
"""

import re
import zipfile
import zlib
from pathlib import PurePosixPath

from django.utils.translation import gettext as _

from .commerceml import MAX_SIZE

MAX_MEMBERS = 10_000
MAX_TOTAL = 4 * MAX_SIZE  # all XML of one archive, unpacked
CHUNK = 64 * 1024
NAME = re.compile(r"^[\w.\-]{1,100}$")
PICTURES = (".jpg", ".jpeg", ".png", ".gif", ".webp")
FILES = "files"  # the pictures' folder inside the session's folder


def picture_path(name):
    """The relative path of a picture (``import_files/ab/x.jpg``), or None when it is not a safe one."""
    parts = name.replace("\\", "/").strip("/").split("/")
    if len(parts) > 8 or not parts[-1].lower().endswith(PICTURES):
        return None
    if any(part in (".", "..") or not NAME.match(part) for part in parts):
        return None
    return "/".join(parts)


class ArchiveError(ValueError):
    pass


def _too_large(name):
    return ArchiveError(_("%(name)s: unpacked, the archive would be larger than allowed (%(limit)s MB a file, "
                          "%(total)s MB in all).") % {"name": name, "limit": MAX_SIZE // (1024 * 1024),
                                                      "total": MAX_TOTAL // (1024 * 1024)})


def _safe_name(info):
    """The member's last name, or ArchiveError when its path is not inside the archive."""
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
        raise ArchiveError(_("%(name)s: a path outside the archive is not accepted.") % {"name": info.filename})
    return parts[-1] if parts else ""


def _members(archive):
    """The XML members to write, checked before anything is written."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(_("The archive holds more than %(count)s files.") % {"count": MAX_MEMBERS})
    chosen, names, declared = [], set(), 0
    for info in infos:
        base = _safe_name(info)
        if not info.is_dir() and base.lower().endswith(PICTURES):
            relative = picture_path(info.filename)
            declared += info.file_size
            if declared > MAX_TOTAL:
                raise _too_large(info.filename)
            if relative is not None:  # a picture with an odd name is skipped, as other files
                chosen.append((info, f"{FILES}/{relative}"))
            continue
        if info.is_dir() or not base.lower().endswith(".xml"):
            continue  # other files: not taken
        if info.flag_bits & 0x1:
            raise ArchiveError(_("%(name)s: encrypted archives are not accepted.") % {"name": info.filename})
        if not NAME.match(base) or base in names:
            raise ArchiveError(_("%(name)s: a file name the exchange cannot take (letters, digits, dots, dashes "
                                 "and underscores, once per archive).") % {"name": info.filename})
        declared += info.file_size
        if info.file_size > MAX_SIZE or declared > MAX_TOTAL:
            raise _too_large(info.filename)
        names.add(base)
        chosen.append((info, base))
    return chosen


def _copy(archive, info, target, budget):
    """Unpack one member, counting the real bytes (declared sizes may lie); returns the bytes written."""
    written = 0
    with archive.open(info) as source, target.open("wb") as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > min(MAX_SIZE, budget):
                raise _too_large(info.filename)
            out.write(chunk)
    return written


def unpack(path, folder):
    """Write the archive's XML files into ``folder``; returns their names. ArchiveError: nothing kept."""
    written = []
    try:
        with zipfile.ZipFile(path) as archive:
            budget = MAX_TOTAL
            for info, base in _members(archive):
                target = folder / base
                target.parent.mkdir(parents=True, exist_ok=True)
                written.append(target)
                budget -= _copy(archive, info, target, budget)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        _remove(written)
        raise ArchiveError(_("%(name)s is not a readable ZIP archive: %(error)s") % {
            "name": path.name, "error": exc}) from None
    except ArchiveError:
        _remove(written)
        raise
    return [target.name for target in written if target.parent == folder]


def _remove(paths):
    for target in paths:
        target.unlink(missing_ok=True)
