"""Add bytecode to the deployment zip: Lambda's /var/task is read-only, so without it every cold start compiles.

The .pyc files are unchecked-hash: Python loads them without comparing the source's timestamp (the zip's
timestamps mean nothing) and never tries to rewrite them. They must come from the runtime's Python version.
"""

from __future__ import annotations

import compileall
import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path

RUNTIME = (3, 11)


def precompile(archive: Path) -> int:
    """Compile every module in ``archive`` into it; return how many .pyc files it now holds."""
    if sys.version_info[:2] != RUNTIME:
        raise SystemExit(f"bytecode must be compiled by Python {RUNTIME[0]}.{RUNTIME[1]}, the functions' runtime")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        with zipfile.ZipFile(archive) as source:
            modes = {info.filename: info.external_attr for info in source.infolist()}
            source.extractall(root)
        compileall.compile_dir(
            root, quiet=2, workers=0, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )
        rebuilt = archive.with_suffix(".tmp")
        count = 0
        with zipfile.ZipFile(rebuilt, "w", compression=zipfile.ZIP_DEFLATED) as target:
            for path in sorted(root.rglob("*")):
                if path.is_dir():
                    continue
                name = path.relative_to(root).as_posix()
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = modes.get(name, 0o644 << 16)
                info.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(info, path.read_bytes())
                count += name.endswith(".pyc")
        rebuilt.replace(archive)
    return count


if __name__ == "__main__":
    zip_path = Path(sys.argv[1])
    print(f"{zip_path}: {precompile(zip_path)} modules precompiled (unchecked-hash)")
