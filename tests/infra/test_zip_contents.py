"""The functions' zip holds what runs in AWS and nothing else: not the local stack, the tests or the benchmarks."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# This repository's folders that are not code of the functions, and the local stack's emulator.
NEVER_SHIPPED = {"devstack", "tests", "bench", "infra", "docs", "build", "moto"}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """`chalice package`'s zip, as `make package` makes it (before bytecode), in a folder of its own:
    tests/infra/test_package.py may be building build/dev at the same time."""
    folder = tmp_path_factory.mktemp("package")
    # No credentials, only a region: what a developer without an account has.
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment["AWS_DEFAULT_REGION"] = "eu-west-1"
    chalice = Path(sys.executable).parent / "chalice"
    command = [str(chalice), "package", "--stage", "dev", str(folder / "out")]
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with zipfile.ZipFile(folder / "out" / "deployment.zip") as deployment:
        return {name: deployment.read(name) for name in deployment.namelist() if is_ours(name)}


def is_ours(name: str) -> bool:
    return name == "app.py" or name.startswith("chalicelib/") or name.split("/", 1)[0] in NEVER_SHIPPED


def test_the_zip_holds_the_app_and_its_library(archive):
    assert {"app.py", "chalicelib/__init__.py", "chalicelib/config.py"} <= set(archive)


def test_the_zip_holds_no_local_stack_no_tests_and_no_benchmarks(archive):
    assert sorted({name.split("/", 1)[0] for name in archive} & NEVER_SHIPPED) == []
    assert [name for name in archive if name.startswith("chalicelib/local/")] == []


def test_no_shipped_module_imports_the_local_stack(archive):
    """Were one to, the function would fail at its first import in AWS, where the local stack is not."""
    for name, source in archive.items():
        if not name.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(source, filename=name)):
            if isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported = [node.module]
            else:
                continue
            for module in imported:
                assert module.split(".")[0] not in NEVER_SHIPPED, (name, module)
                assert not module.startswith("chalicelib.local"), (name, module)
