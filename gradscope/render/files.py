"""Writing a renderer's files: whole or not at all, with an error that names the path.

Every format writes through here, so a full disk, a read-only folder or a
Ctrl-C mid-write leaves the previous file (or none), never half of one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gradscope.errors import UsageError


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write the whole file or nothing: a temp file in the same folder, then rename."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create folder {path.parent}: {exc.strerror}") from exc
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give a file path")
    data = text.encode() if isinstance(text, str) else text
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write to {path.parent}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600; a report is an ordinary file, readable as the umask allows.
        umask = os.umask(0)
        os.umask(umask)
        Path(tmp).chmod(0o666 & ~umask)
        Path(tmp).replace(path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}; check the disk and the path") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
