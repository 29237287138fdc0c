"""The report in a real headless Chromium, as a person opens it: from a file, with no network.

Skipped (with the reason) only when /usr/bin/chromium or /usr/bin/chromedriver is missing; CI
installs both (``apt-get install chromium chromium-driver``, see README and .ci/run). A full-page
screenshot is left in ``test-artifacts/report.png`` to look at.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterator
from pathlib import Path

import pytest

from tidyclust.report import build_report, render_report

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = REPO / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]

# The position of a point of the chart's first trace on the page, and what plotly shows when hovering.
POINT_JS = """
const gd = document.getElementById('interactive-scatter');
const [curve, index] = arguments;
const pt = gd.calcdata[curve][index];
const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
return [box.left + gd._fullLayout.xaxis.l2p(pt.x), box.top + gd._fullLayout.yaxis.l2p(pt.y)];
"""
HOVER_TEXT_JS = "const h = document.querySelector('.hoverlayer .hovertext'); return h ? h.textContent : null;"


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.skip(
            f"headless browser test needs {' and '.join(missing)} (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [
        *FLAGS,
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        "--window-size=1400,1000",
    ]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="module")
def lesson_report(songs_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_report(build_report(songs_path), tmp_path_factory.mktemp("browser") / "report.html")


@pytest.fixture(scope="module")
def hostile_report(songs_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from test_report import hostile_copy

    folder = tmp_path_factory.mktemp("browser-hostile")
    result = build_report(hostile_copy(songs_path, folder), kmax=4, nstart=5, gap_B=5)
    return render_report(result, folder / "report.html")


def open_page(driver, path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser"), driver.get_log("performance")  # start from empty logs
    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete'"
            " && !!document.querySelector('#interactive-scatter .main-svg')"
        )
    )


def hover_point(driver, curve: int, index: int) -> str:
    """Move the real mouse over a point of the chart and return the hover label's text."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script(
        "document.getElementById('interactive-scatter')"
        ".scrollIntoView({block: 'center', behavior: 'instant'})"
    )
    x, y = driver.execute_script(POINT_JS, curve, index)
    width, height = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    assert 0 <= x < width and 0 <= y < height, (x, y, width, height)
    actions = ActionChains(driver)
    actions.w3c_actions.pointer_action.move_to_location(int(x), int(y))
    actions.perform()
    return WebDriverWait(driver, 10).until(lambda d: d.execute_script(HOVER_TEXT_JS))


def save_full_page(driver, path: Path) -> None:
    size = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1},
        },
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


def test_lesson_report_in_chromium(driver, lesson_report: Path) -> None:
    import json

    open_page(driver, lesson_report)

    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors

    requested = [
        json.loads(e["message"])["message"]["params"]["request"]["url"]
        for e in driver.get_log("performance")
        if json.loads(e["message"])["message"]["method"] == "Network.requestWillBeSent"
    ]
    requested += driver.execute_script("return performance.getEntriesByType('resource').map(r => r.name)")
    assert requested, "the performance log saw no request at all, not even the page"
    assert all(url.startswith(("file:", "data:")) for url in requested), requested

    # every figure decoded and on screen
    images = driver.find_elements("css selector", "img")
    assert len(images) >= 15
    for img in images:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", img)
        loaded = driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img)
        assert loaded and loaded > 0, img.get_attribute("alt")
        assert img.is_displayed() and img.size["width"] > 200, img.get_attribute("alt")

    # every table on screen (the gap table sits in a <details>: open it as a reader would)
    driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    tables = driver.find_elements("css selector", "table")
    assert len(tables) >= 15
    for table in tables:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", table)
        assert table.is_displayed() and table.size["height"] > 0

    # the interactive chart answers a real mouse hover with the song's label
    names = driver.execute_script(
        "return document.getElementById('interactive-scatter').data[0].customdata.map(r => r[0])"
    )
    label = hover_point(driver, 0, 0)
    assert "name:" in label and "cluster:" in label and "popularity:" in label
    assert any(html.unescape(name) in label for name in names), label

    driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'})")
    save_full_page(driver, ARTIFACTS / "report.png")
    assert (ARTIFACTS / "report.png").stat().st_size > 100_000


def test_hostile_song_names_run_nothing(driver, hostile_report: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from test_report import ARTIST_PAYLOAD, SONG_PAYLOAD

    open_page(driver, hostile_report)
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 (an alert would be there to read)
    assert driver.execute_script("return window.__pwned === undefined")
    # the name is shown, as text, in the table and in the chart's hover label
    cells = [td.text for td in driver.find_elements("css selector", "#table-augment td")]
    assert SONG_PAYLOAD in cells and ARTIST_PAYLOAD in cells
    curve, index = driver.execute_script(
        """const gd = document.getElementById('interactive-scatter');
           for (let c = 0; c < gd.data.length; c++) {
             const i = gd.data[c].customdata.findIndex(r => r[0].includes('pwned'));
             if (i >= 0) return [c, i];
           }"""
    )
    driver.execute_script(
        "Plotly.Fx.hover('interactive-scatter', [{curveNumber: arguments[0], pointNumber: arguments[1]}])",
        curve,
        index,
    )
    label = driver.execute_script(HOVER_TEXT_JS)
    assert SONG_PAYLOAD in label
    assert driver.execute_script("return window.__pwned === undefined")
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
