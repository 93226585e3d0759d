"""tools/webui.py: argument errors before any heavy import; it serves."""
import os
import os.path as osp
import subprocess
import sys
import time
import urllib.request

from headless_chromium import free_port

from tiny_depther import ROOT, write_tiny_model

TOOL = osp.join(ROOT, 'tools', 'webui.py')


def test_wrong_paths_fail_at_once(tmp_path):
    result = subprocess.run(
        [sys.executable, TOOL, str(tmp_path / 'nope.py'), 'x.pth'],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert 'config ' + str(tmp_path / 'nope.py') in result.stderr
    assert 'does not exist' in result.stderr
    config, _ = write_tiny_model(str(tmp_path))
    result = subprocess.run([sys.executable, TOOL, config, 'missing.pth'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "checkpoint 'missing.pth': no such file" in result.stderr
    result = subprocess.run([sys.executable, TOOL, TOOL, TOOL, '--por', '1'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and '--por' in result.stderr


def test_serves_the_page(tmp_path):
    config, checkpoint = write_tiny_model(str(tmp_path), infer_size=56)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, TOOL, config, checkpoint, '--port', str(port),
         '--examples', '1', '--out-dir', str(tmp_path / 'out'),
         '--device', 'cpu'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, GRADIO_TEMP_DIR=str(tmp_path / 'gradio')))
    try:
        deadline, page = time.monotonic() + 90, None
        while page is None and time.monotonic() < deadline:
            assert server.poll() is None, server.stdout.read()
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{port}/',
                                            timeout=5) as response:
                    page = response.read().decode()
            except OSError:
                time.sleep(0.3)
        assert page is not None, 'the server did not answer within 90 s'
        assert 'da2zoe metric depth' in page
        assert (tmp_path / 'out' / 'examples').is_dir()
    finally:
        server.terminate()
        server.wait(timeout=30)
