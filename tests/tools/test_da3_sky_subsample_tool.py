"""tools/analysis_tools/da3_sky_subsample.py runs on the golden network."""
import json
import subprocess
import sys
from pathlib import Path

TOOL = (Path(__file__).resolve().parents[2] / 'tools' / 'analysis_tools'
        / 'da3_sky_subsample.py')


def test_tool_writes_its_figures(tmp_path):
    out = tmp_path / 'sky.json'
    subprocess.run([sys.executable, str(TOOL), '--size', '140', '196',
                    '--draws', '3', '--json', str(out)],
                   check=True, capture_output=True)
    stats = json.loads(out.read_text())
    assert stats['size'] == [140, 196] and stats['draws'] == 3
    assert stats['pixels'] == 140 * 196
    # Under 100,000 non-sky pixels the reference draws nothing: exact.
    assert stats['non_sky_pixels'] < 100_000
    assert stats['max_abs_rel'] == 0.0
