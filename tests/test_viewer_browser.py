"""The viewer page in a real headless Chromium: it draws, it loads nothing from
the network, it logs no errors, and the controls change what is drawn.

Needs Debian's ``chromium`` and ``chromium-driver`` packages and selenium;
skips with the reason when any is missing.
"""

# ruff: noqa: E402  (the browser imports follow the skips on purpose)

from __future__ import annotations

import io
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} missing (apt install chromium)"),
    pytest.mark.skipif(
        not CHROMEDRIVER.exists(), reason=f"{CHROMEDRIVER} missing (apt install chromium-driver)"
    ),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed")
from PIL import Image
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from prunescape.viewer import build_viewer

MODELS = ["w0-30", "random-30"]
EPOCHS = [1, 2, 3]
SCALES = [1.0, 0.2]
NX, NY = 7, 5
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
]
# software WebGL, so the 3D surfaces draw without a GPU
WEBGL_FLAGS = ["--enable-unsafe-swiftshader", "--use-angle=swiftshader"]


def synthetic_loss(m: int, epoch: int, scale: float, x: float, y: float) -> float:
    """A bowl that deepens with the epoch and steepens with the model index."""
    return 1 + (1 + m) * (x**2 + 2 * y**2) / scale**2 + 1 / epoch


@pytest.fixture(scope="module")
def page_url(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("viewer")
    rows = []
    experiment = 0
    for m, model in enumerate(MODELS):
        for epoch in EPOCHS:
            for scale in SCALES:
                for y in np.linspace(-scale, scale, NY):
                    for x in np.linspace(-scale, scale, NX):
                        loss = synthetic_loss(m, epoch, scale, x, y)
                        row = (experiment, x, y, loss, model, epoch, scale, math.exp(loss), 0.5)
                        rows.append(row)
                experiment += 1
    columns = ["id", "x", "y", "loss", "model", "epoch", "scale", "ppl", "acc"]
    pd.DataFrame(rows, columns=columns).to_csv(folder / "landscape.csv", index=False)
    build_viewer([folder / "landscape.csv"], folder / "viewer.html", title="browser test")
    return (folder / "viewer.html").as_uri()


def open_page(url: str, extra_flags: list[str]):
    """Start Chromium through the system chromedriver; selenium must not download anything."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, *extra_flags, f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.get(url)
        wait(driver, "return document.body.dataset.ready === '1'")
    except BaseException:
        driver.quit()
        raise
    return driver


@pytest.fixture(scope="module")
def driver(page_url):
    driver = open_page(page_url, WEBGL_FLAGS)
    yield driver
    driver.quit()


def wait(driver, script: str, timeout: float = 20):
    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))


# back to the page's defaults, so that the tests do not depend on their order
RESET = """
for (const box of document.querySelectorAll('#models input')) if (!box.checked) box.click();
const set = (id, value, type) => {
  const control = document.getElementById(id);
  control.value = value;
  control.dispatchEvent(new Event(type));
};
set('metric', 'loss', 'change');
set('scale', '0', 'change');
set('epoch', '0', 'input');
"""


@pytest.fixture
def page(driver):
    driver.execute_script(RESET)
    wait(
        driver,
        "return document.body.dataset.shown === 'loss|0|1'"
        " && document.querySelectorAll('section.card').length === 2",
    )
    return driver


def assert_no_severe_logs(driver) -> None:
    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []


def distinct_colours(png: bytes) -> int:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return len(image.getcolors(maxcolors=1 << 20) or [])


def test_page_draws_offline_without_errors(page):
    assert page.execute_script("return performance.getEntriesByType('resource').length") == 0
    cards = page.find_elements(By.CSS_SELECTOR, "section.card")
    assert [c.get_attribute("data-model") for c in cards] == MODELS
    contour = page.find_element(By.ID, "contour-0")
    assert contour.find_elements(By.CSS_SELECTOR, ".main-svg .contourlayer path")
    assert distinct_colours(contour.screenshot_as_png) > 20
    assert page.execute_script("return window.prunescapeViewer.webgl"), "no software WebGL"
    surface = page.find_element(By.ID, "surface-0")
    assert surface.find_elements(By.CSS_SELECTOR, "canvas")
    assert distinct_colours(surface.screenshot_as_png) > 20
    assert_no_severe_logs(page)


def test_epoch_slider_changes_the_plot(page):
    z_of = "return document.getElementById(arguments[0]).data[0].z"
    cmin_of = "return document.getElementById(arguments[0]).data[0].cmin"

    def colour_floors():
        return [page.execute_script(cmin_of, f"surface-{i}") for i in range(len(MODELS))]

    # one colour scale for all models and epochs: epoch 1 already uses the epoch-3 minimum
    shared = pytest.approx([synthetic_loss(0, 3, 1.0, 0.0, 0.0)] * len(MODELS))
    assert colour_floors() == shared
    before = page.execute_script(z_of, "contour-0")
    assert page.find_element(By.ID, "epoch-label").text == "epoch 1 (1/3)"
    page.find_element(By.ID, "epoch").send_keys(Keys.END)
    wait(page, "return document.body.dataset.shown === 'loss|0|3'")
    assert page.find_element(By.ID, "epoch-label").text == "epoch 3 (3/3)"
    after = page.execute_script(z_of, "contour-0")
    assert after != before
    # z[row][column] is (y, x): the corner cell is x = y = 1 at scale 1
    assert after[NY - 1][NX - 1] == pytest.approx(synthetic_loss(0, 3, 1.0, 1.0, 1.0))
    assert page.execute_script(z_of, "surface-1") != page.execute_script(z_of, "surface-0")
    assert colour_floors() == shared
    assert_no_severe_logs(page)


def test_cameras_follow_each_other(page):
    page.execute_script(
        "Plotly.relayout('surface-0', {'scene.camera': {eye: {x: 2, y: 0.2, z: 0.4}}})"
    )
    wait(page, "return document.getElementById('surface-1').layout.scene.camera.eye.x === 2")
    assert_no_severe_logs(page)


def test_model_and_scale_controls(page):
    page.find_element(By.CSS_SELECTOR, "#models input[value='random-30']").click()
    wait(page, "return document.querySelectorAll('section.card').length === 1")
    page.execute_script(
        "const s = document.getElementById('scale'); s.value = '1';"
        "s.dispatchEvent(new Event('change'))"
    )
    wait(page, "return document.body.dataset.shown === 'loss|1|1'")
    x = page.execute_script("return document.getElementById('contour-0').data[0].x")
    assert x[0] == pytest.approx(-0.2) and x[-1] == pytest.approx(0.2)
    assert_no_severe_logs(page)


def test_contour_maps_without_webgl(page_url):
    driver = open_page(page_url, ["--disable-webgl"])
    try:
        assert driver.execute_script("return window.prunescapeViewer.webgl") is False
        assert "WebGL" in driver.find_element(By.ID, "note").text
        contour = driver.find_element(By.ID, "contour-1")
        assert contour.find_elements(By.CSS_SELECTOR, ".main-svg .contourlayer path")
        assert distinct_colours(contour.screenshot_as_png) > 20
        assert_no_severe_logs(driver)
    finally:
        driver.quit()
