"""The command line as a user meets it: the output of `tidyclust data`, and one clear line per mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tidyclust import __version__
from tidyclust.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tidyclust.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"tidyclust {__version__}"


def test_data_command_prints_the_lesson_numbers(songs_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "--data", str(songs_path)]) == 0
    out = capsys.readouterr().out
    assert "Read 530 rows x 16 columns" in out
    lines = out.splitlines()
    popularity = next(line for line in lines if line.strip("│ ").startswith("popularity ") and "!=" in line)
    assert "442" in popularity and "286" in popularity and "156" in popularity
    for genre, n in [("afro dancehall", "206"), ("afropop", "61"), ("nigerian pop", "19")]:
        assert any(genre in line and n in line for line in lines)
    assert any(line.strip("│ ").startswith("danceability") for line in lines)


def test_data_command_with_options(songs_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "--data", str(songs_path), "--genres", "afropop", "--min-popularity", "30"]) == 0
    out = capsys.readouterr().out
    assert "popularity >= 30" in out
    assert "nigerian pop" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "no/such/file.csv"], "tidyclust: error: source: 'no/such/file.csv' does not exist"),
        (
            ["--genres", "afropopp"],
            "tidyclust: error: --genres: 'afropopp' is not a genre of the data; did you mean 'afropop'?",
        ),
        (["--min-popularity", "101"], "tidyclust: error: min_popularity: must be <= 100, got 101"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(songs_path: Path, args: list[str], message: str) -> None:
    if "--data" not in args:
        args = ["--data", str(songs_path), *args]
    result = run_cli("data", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_argparse_mistake_exits_2() -> None:
    result = run_cli("data", "--min-popularity", "lots")
    assert result.returncode == 2
    assert "invalid int value: 'lots'" in result.stderr
    assert "Traceback" not in result.stderr


def test_data_command_engines_print_the_same(songs_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for engine in ("polars", "duckdb"):
        assert main(["data", "--data", str(songs_path), "--engine", engine, "--min-popularity", "20"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert "Read 530 rows x 16 columns" in outputs[0]


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_data_command_names_a_malformed_value(songs_path: Path, tmp_path: Path, engine: str) -> None:
    # The lazy scan fails on the value; the careful read names its row and column.
    lines = songs_path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("popularity")] = "lots"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([lines[0], *lines[1:3], ",".join(row), *lines[4:]]) + "\n", encoding="utf-8")
    result = run_cli("data", "--data", str(bad), "--engine", engine)
    assert result.returncode == 2
    assert "column 'popularity' must be numeric but row 3 has 'lots'" in result.stderr
    assert "Traceback" not in result.stderr


def test_data_command_header_only(songs_path: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text(songs_path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    result = run_cli("data", "--data", str(empty))
    assert result.returncode == 2
    assert "has a header but no rows" in result.stderr


def test_import_leaves_out_the_libraries_few_commands_need() -> None:
    """scikit-learn's metrics and scipy.stats cost about 1 s at start-up (half of `import
    tidyclust`), paid by every command, even one that only reports a typo; they are imported where
    used (agreement, the silhouette estimate's interval)."""
    heavy = "{'sklearn.metrics', 'scipy.stats', 'scipy.optimize'}"
    code = f"import sys, tidyclust.cli; print(sorted({heavy} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_console_script_process_prints_everything_then_ends(songs_path: Path) -> None:
    """``run`` skips the interpreter's teardown: what ``main`` printed still reaches the pipe in
    full, and the exit code is main's."""
    in_process = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from tidyclust.cli import main; main(['data', '--data', {str(songs_path)!r}])",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    console = run_cli("data", "--data", str(songs_path))
    assert console.returncode == 0, console.stderr
    assert console.stdout == in_process.stdout and console.stdout.rstrip().endswith("┘")


def test_console_script_reader_going_away_is_not_a_traceback(songs_path: Path) -> None:
    """``tidyclust data | head -0``: the pipe's reader is gone before the first line; exit 1, nothing
    on stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tidyclust.cli", "data", "--data", str(songs_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the child needs its imports (most of a second) before it writes
    assert process.wait(timeout=120) == 1
    assert process.stderr.read() == b""
