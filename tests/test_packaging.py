"""The wheel carries the SQL files: built, installed into a fresh virtual environment, and run from there."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_and_finds_the_sql_files(tmp_path: Path, songs_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("tidyclust-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).name for n in names if n.startswith("tidyclust/sql/")}
    assert shipped == {p.name for p in (REPO / "sql").glob("*.sql")}

    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)], check=True)
    # The dependencies come from this environment (no download); the fresh environment's own
    # site-packages comes first on sys.path, so `import tidyclust` is the wheel's copy.
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    script = f"""
import tidyclust, tidyclust.sql as sql
from tidyclust.data import read_songs
assert tidyclust.__file__.startswith({str(env)!r}), tidyclust.__file__
assert str(sql._sql_dir()).startswith({str(env)!r}), sql._sql_dir()
print(sql.filter_songs(read_songs({str(songs_path)!r})).height)
"""
    result = subprocess.run([python, "-c", script], check=True, capture_output=True, text=True, cwd=tmp_path)
    assert result.stdout.strip() == "286"
