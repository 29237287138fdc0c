"""Reading the songs data: exact values, the download cache, and a clear error for each mistake."""

from __future__ import annotations

import csv
import functools
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import polars as pl
import pytest

from tidyclust import data as data_mod
from tidyclust.data import LESSON_SHA256, SONGS_SCHEMA, read_songs
from tidyclust.errors import (
    ChecksumError,
    ColumnNotFoundError,
    DataNotFoundError,
    DataValueError,
    DownloadError,
    EmptyDataError,
)


def test_lesson_file_is_read_exactly(songs: pl.DataFrame, songs_path: Path) -> None:
    assert hashlib.sha256(songs_path.read_bytes()).hexdigest() == LESSON_SHA256
    assert songs.shape == (530, 16)
    assert songs.schema == pl.Schema(SONGS_SCHEMA)
    row = songs.row(2, named=True)  # third data line of the file
    assert row == {
        "name": "LITT!",
        "album": "LITT!",
        "artist": "AYLØ",
        "artist_top_genre": "indie r&b",
        "release_date": 2018,
        "length": 207758,
        "popularity": 40,
        "danceability": 0.836,
        "acousticness": 0.272,
        "energy": 0.564,
        "instrumentalness": 0.000537,
        "liveness": 0.11,
        "loudness": -7.127,
        "speechiness": 0.0424,
        "tempo": 130.005,
        "time_signature": 4,
    }
    names = songs.get_column("name").to_list()
    assert "Mon Bébé (feat. Flavour)" in names
    woman = songs.filter(pl.col("name") == "My Woman, My Everything (feat. Wandecoal)")
    assert woman.get_column("album").item() == "My Woman, My Everything (feat. Wandecoal) - Single"
    feeling = songs.filter(pl.col("name") == "Feeling (feat. Reekado Banks)")
    assert feeling.get_column("instrumentalness").item() == 1.85e-06
    assert songs.null_count().sum_horizontal().item() == 0


def test_parquet_gives_the_same_frame(songs: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "songs.parquet"
    songs.write_parquet(path)
    assert read_songs(path).equals(songs)


def test_environment_variable_is_the_default_source(
    songs_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIDYCLUST_DATA", str(songs_path))
    assert read_songs().shape == (530, 16)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match=r"'.*nope\.csv' does not exist; give the path"):
        read_songs(tmp_path / "nope.csv")
    with pytest.raises(FileNotFoundError):  # also the builtin
        read_songs(tmp_path / "nope.csv")


def test_empty_file_and_header_only(tmp_path: Path, songs_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(EmptyDataError, match=r"is empty \(0 bytes\)"):
        read_songs(empty)
    header = tmp_path / "header.csv"
    header.write_text(songs_path.read_text(encoding="utf-8").splitlines()[0] + "\n")
    with pytest.raises(EmptyDataError, match="has a header but no rows"):
        read_songs(header)


def test_missing_column_suggests_the_closest(tmp_path: Path, songs_path: Path) -> None:
    text = songs_path.read_text(encoding="utf-8").replace("popularity", "popularty", 1)
    path = tmp_path / "typo.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        ColumnNotFoundError,
        match=r"no column 'popularity'; did you mean 'popularty'\? \(columns present: name, album",
    ):
        read_songs(path)


def test_non_numeric_value_names_column_row_and_value(tmp_path: Path, songs_path: Path) -> None:
    rows = list(csv.reader(songs_path.read_text(encoding="utf-8").splitlines()))
    rows[5][7] = "loud!"  # data row 5: danceability becomes text
    path = tmp_path / "bad.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    with pytest.raises(DataValueError, match=r"column 'danceability' must be numeric but row 5 has 'loud!'"):
        read_songs(path)


def test_ragged_csv_is_a_clear_error(tmp_path: Path, songs_path: Path) -> None:
    lines = songs_path.read_text(encoding="utf-8").splitlines()
    lines[3] += ",extra"
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataValueError, match=r"is not a well-formed CSV file .*more fields"):
        read_songs(path)


def test_empty_fields_are_nulls_not_errors(tmp_path: Path, songs_path: Path) -> None:
    lines = songs_path.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(",")
    fields[6] = ""  # popularity
    lines[1] = ",".join(fields)
    path = tmp_path / "gap.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame = read_songs(path)
    assert frame.get_column("popularity").null_count() == 1


# --- URLs: served from this machine, so the tests need no network -------------------------------


@pytest.fixture()
def served(tmp_path: Path, songs_path: Path):
    """An HTTP server on 127.0.0.1 serving a folder holding the songs file; yields (base URL, folder)."""
    folder = tmp_path / "www"
    folder.mkdir()
    (folder / "nigerian-songs.csv").write_bytes(songs_path.read_bytes())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("TIDYCLUST_CACHE", str(folder))
    monkeypatch.delenv("TIDYCLUST_DATA", raising=False)
    return folder


def test_default_source_downloads_once_and_reuses_the_cache(served, cache: Path, monkeypatch) -> None:
    base, folder = served
    url = f"{base}/nigerian-songs.csv"
    monkeypatch.setattr(data_mod, "LESSON_URL", url)
    assert read_songs().shape == (530, 16)
    cached = list(cache.iterdir())
    assert len(cached) == 1
    (folder / "nigerian-songs.csv").unlink()  # the server no longer has it: the cache must serve
    assert read_songs(url).shape == (530, 16)


def test_checksum_mismatch_is_reported(served, cache: Path, monkeypatch) -> None:
    base, folder = served
    path = folder / "nigerian-songs.csv"
    path.write_bytes(path.read_bytes().replace(b"Sparky", b"Sparks"))
    monkeypatch.setattr(data_mod, "LESSON_URL", f"{base}/nigerian-songs.csv")
    with pytest.raises(ChecksumError, match="does not match its expected sha256 efcc14d5"):
        read_songs()


def test_unreachable_url_says_how_to_pass_a_local_file(cache: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(
        DownloadError, match=r"could not download .* no network\? pass a local copy with --data PATH"
    ):
        read_songs(f"http://127.0.0.1:{port}/nigerian-songs.csv")


def test_scan_songs_is_lazy_and_exact(songs_path: Path, songs: pl.DataFrame, tmp_path: Path) -> None:
    from tidyclust.data import scan_songs

    lazy = scan_songs(songs_path)
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(songs)
    songs.write_parquet(tmp_path / "songs.parquet")
    assert scan_songs(tmp_path / "songs.parquet").collect().equals(songs)
    text = songs_path.read_text(encoding="utf-8").replace("energy", "energie", 1)
    (tmp_path / "typo.csv").write_text(text, encoding="utf-8")
    with pytest.raises(ColumnNotFoundError, match=r"no column 'energy'; did you mean 'energie'\?"):
        scan_songs(tmp_path / "typo.csv")


def test_unreadable_file_is_a_clear_error(tmp_path: Path, songs_path: Path, monkeypatch) -> None:
    from tidyclust.errors import DataAccessError

    path = tmp_path / "locked.csv"
    path.write_bytes(songs_path.read_bytes())
    # Tests run as root, where chmod 000 still reads; stand in for the permission check instead.
    monkeypatch.setattr(data_mod.os, "access", lambda p, mode: False)
    with pytest.raises(DataAccessError, match=r"'.*locked\.csv' cannot be read \(permission denied\)"):
        read_songs(path)
