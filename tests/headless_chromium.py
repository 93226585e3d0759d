"""Headless Debian Chromium driven by selenium, for the browser tests.

Selenium is pointed at the system's ``/usr/bin/chromium`` and
``/usr/bin/chromedriver`` (``.ci/run`` installs both with apt-get), so
Selenium Manager never tries to download a browser. A missing browser is a
test failure with the command that installs it, never a skip.
"""
import os
import socket

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
# A closed network: nothing in the background may try to reach out.
FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
         '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync',
         '--disable-dev-shm-usage', '--enable-unsafe-swiftshader',
         '--window-size=1280,1700')


def start_chromium(profile_dir: str) -> webdriver.Chrome:
    """A headless Chromium with a fresh profile in ``profile_dir``."""
    for path in (CHROMIUM, CHROMEDRIVER):
        assert os.access(path, os.X_OK), (
            f'{path} is missing: install it with `apt-get install -y '
            'chromium chromium-driver` (.ci/run does)')
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f'--user-data-dir={profile_dir}')
    driver = webdriver.Chrome(options=options,
                              service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    return driver


def free_port() -> int:
    """A TCP port nothing listens on right now (localhost)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
