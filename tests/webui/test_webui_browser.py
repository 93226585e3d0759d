"""The web demo in a real headless Chromium: upload, results, downloads,
refusals, examples. Fails (never skips) when the browser is missing."""
import time
import urllib.request

import cv2
import numpy as np
import pytest
from headless_chromium import free_port, start_chromium
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from da2zoe.apis import inference, init_model
from da2zoe.datasets.codecs import encode_millimetres
from da2zoe.testing import render_scene
from da2zoe.webui import DepthDemo, build_app, launch, write_examples
from tiny_depther import write_tiny_model

INPUT_SIZE = 56
WAIT_S = 60


@pytest.fixture(scope='module')
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp('webui')
    env = pytest.MonkeyPatch()
    env.setenv('GRADIO_TEMP_DIR', str(root / 'gradio'))  # uploads, outputs
    config, checkpoint = write_tiny_model(str(root), infer_size=INPUT_SIZE)
    model = init_model(config, checkpoint)
    demo = DepthDemo(model, str(root / 'renders'))
    examples = write_examples(str(root / 'examples'), 2, size=(120, 160))
    blocks = build_app(demo, examples)
    port = free_port()
    launch(blocks, port=port, allowed_paths=[str(root)], block=False)
    yield dict(model=model, url=f'http://127.0.0.1:{port}/', root=root)
    blocks.close()
    env.undo()


@pytest.fixture(scope='module')
def browser(tmp_path_factory):
    driver = start_chromium(str(tmp_path_factory.mktemp('chromium')))
    yield driver
    driver.quit()


def wait_for(browser, find, what: str):
    """Polls ``find()`` until it returns something truthy."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = find()
        if found:
            return found
        time.sleep(0.1)
    text = browser.find_element(By.TAG_NAME, 'body').text[-800:]
    raise AssertionError(
        f'timed out after {WAIT_S} s waiting for {what}; page text: {text}')


def open_page(browser, url):
    browser.get(url)
    return wait_for(
        browser, lambda: browser.find_elements(
            By.CSS_SELECTOR, '#input-image input[type=file]'),
        'the upload field')[0]


def download_links(browser):
    links = browser.find_elements(By.CSS_SELECTOR, '#downloads a[download]')
    return {a.get_attribute('download'): a.get_attribute('href')
            for a in links}


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def test_upload_shows_depth_colorbar_and_matching_downloads(
        app, browser, tmp_path):
    scene = render_scene(1, 0, (112, 154))
    photo = tmp_path / 'room.png'
    cv2.imwrite(str(photo), scene.rgb[..., ::-1])
    open_page(browser, app['url']).send_keys(str(photo))

    links = wait_for(
        browser, lambda: len(download_links(browser)) == 5 and
        download_links(browser), 'the download links')
    assert sorted(links) == sorted([
        'room_depth.png', 'room_depth.npy', 'room_points.ply',
        'room_depth_color.png', 'room_mesh.glb'])
    depth_img = browser.find_element(By.CSS_SELECTOR, '#depth-image img')
    assert depth_img.get_attribute('src')
    assert depth_img.get_attribute('naturalWidth') == '154'
    bar = browser.find_element(By.CSS_SELECTOR, '#depth-colorbar')
    assert bar.is_displayed()
    ticks = bar.find_elements(By.CSS_SELECTOR, '.tick')
    assert len(ticks) >= 2 and all(t.text for t in ticks)
    wait_for(browser, lambda: browser.find_elements(
        By.CSS_SELECTOR, '#view3d canvas'), 'the 3-D view')

    expected = inference(app['model'], scene.rgb, input_size=INPUT_SIZE,
                         rgb=True)
    png16 = cv2.imdecode(
        np.frombuffer(fetch(links['room_depth.png']), np.uint8),
        cv2.IMREAD_UNCHANGED)
    assert png16.dtype == np.uint16 and png16.shape == expected.shape
    # Same model, same input: the browser's PNG is inference()'s depth.
    assert np.array_equal(png16, encode_millimetres(expected))
    assert np.abs(png16 / 1000.0 - expected).max() <= 0.0005 + 1e-6
    npy = tmp_path / 'room_depth.npy'
    npy.write_bytes(fetch(links['room_depth.npy']))
    np.testing.assert_array_equal(np.load(npy), expected)
    values = np.sort(expected.ravel())
    stats = browser.find_element(By.CSS_SELECTOR, '#depth-stats').text
    assert f'min {values[0]:.3f} m' in stats
    assert f'median {np.median(values):.3f} m' in stats
    assert f'max {values[-1]:.3f} m' in stats
    assert 'inference' in stats and ' ms ' in stats

    assert len(browser.find_elements(By.CSS_SELECTOR, '#compare img')) == 2

    # A fixed colour scale redraws without running the model again.
    browser.find_element(By.CSS_SELECTOR, '.label-wrap').click()  # Options
    field = wait_for(browser, lambda: [
        f for f in browser.find_elements(By.CSS_SELECTOR, '#max-depth input')
        if f.is_displayed()], 'the colour-scale field')[0]
    field.clear()
    field.send_keys('8', Keys.TAB)
    wait_for(browser, lambda: browser.find_elements(
        By.CSS_SELECTOR, '#depth-colorbar[data-vmax="8"]'), 'the 0-8 m scale')
    redrawn = wait_for(browser, lambda: (
        download_links(browser).get('room_depth_color.png') not in
        (None, links['room_depth_color.png'])) and download_links(browser),
        'the redrawn colour PNG')
    assert redrawn['room_depth.png'] == links['room_depth.png']  # same depth

    shot = tmp_path / 'webui.png'
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 1e4


def page_text(browser):
    return browser.find_element(By.TAG_NAME, 'body').text


def test_refuses_non_images_and_keeps_serving(app, browser, tmp_path):
    notes = tmp_path / 'notes.txt'
    notes.write_text('not a picture')
    open_page(browser, app['url']).send_keys(str(notes))
    wait_for(browser, lambda: 'notes.txt' in page_text(browser),
             'the refusal of notes.txt')
    assert 'Invalid file type' in page_text(browser)

    # Named like an image, so only the server can tell: our message.
    fake = tmp_path / 'fake.png'
    fake.write_text('not a picture either')
    open_page(browser, app['url']).send_keys(str(fake))
    wait_for(browser, lambda: 'fake.png is not an image' in page_text(
        browser), 'the refusal of fake.png')
    assert not download_links(browser)

    # The server still serves: an example room gives a full result.
    open_page(browser, app['url'])
    browser.find_element(By.CSS_SELECTOR, '.gallery-item, button.gallery'
                         '-item, [data-testid="examples"] button').click()
    links = wait_for(browser, lambda: download_links(browser),
                     'the example\'s results')
    assert 'room_0_160x120_seed0_depth.png' in links
