"""compare_models helpers: model specs, pipeline swap, protocol diffs."""
import pytest

from da2zoe.analysis.compare_models import (
    ModelSpecError,
    _set_pipeline,
    evaluator_for,
    parse_model_specs,
    protocol_differences,
)


def test_specs_names_and_hf_checkpoints():
    specs = parse_model_specs(['a/x.py:w1.pth', 'a/x.py:hf://o/r/f.pth',
                               'mine=b/y.py:c.pth'])
    assert [s.name for s in specs] == ['x/w1', 'x/f', 'mine']
    assert specs[1].checkpoint == 'hf://o/r/f.pth'
    assert parse_model_specs(['b/y.py:c.pth'])[0].name == 'y'
    named = parse_model_specs(['b/y.py:c.pth', 'b/z.py:c.pth'], ['p', 'q'])
    assert [s.name for s in named] == ['p', 'q']


@pytest.mark.parametrize('specs, names, message', [
    (['b/y.py'], None, r"model 1 'b/y.py': expected \[NAME=\]CONFIG"),
    (['b/y.py:'], None, 'expected'),
    (['b/y.py:c.pth', 'b/y.py:c.pth'], None, 'two models named'),
    (['b/y.py:c.pth'], ['p', 'q'], '2 names for 1 models'),
])
def test_bad_specs(specs, names, message):
    with pytest.raises(ModelSpecError, match=message):
        parse_model_specs(specs, names)


def test_pipeline_goes_to_leaf_datasets_only():
    mix = dict(type='DepthDatasetMix', datasets=[
        dict(type='A', pipeline=['old']),
        dict(type='Repeat', dataset=dict(type='B'))])
    _set_pipeline(mix, ['new'])
    assert 'pipeline' not in mix and 'pipeline' not in mix['datasets'][1]
    assert mix['datasets'][0]['pipeline'] == ['new']
    assert mix['datasets'][1]['dataset']['pipeline'] == ['new']


def test_overrides_reach_the_metrics_that_read_them_and_copy():
    shared = [dict(type='DepthMetric'), dict(type='DA2KMetric')]
    items = evaluator_for(shared, dict(align='median'))
    assert items == [dict(type='DepthMetric', align='median'),
                     dict(type='DA2KMetric')]
    assert shared[0] == dict(type='DepthMetric')
    # A disparity model: DA-2K must read larger as nearer, and takes no fit.
    items = evaluator_for(shared, dict(align='least_squares_disparity',
                                       pred_space='disparity'))
    assert items == [dict(type='DepthMetric', align='least_squares_disparity',
                          pred_space='disparity'),
                     dict(type='DA2KMetric', pred_space='disparity')]


def test_protocol_differences_ignore_paths_and_find_changes():
    base = dict(config='a.py', checkpoint=dict(path='a.pth'), flip=False,
                metrics=dict(align=None), datasets=dict(nyu=dict(crop='e')))
    other = dict(base, config='b.py', checkpoint=dict(path='b.pth'),
                 metrics=dict(align='median'))
    assert protocol_differences(dict(a=base, b=dict(base))) == []
    assert protocol_differences(dict(a=base, b=other)) == ['metrics.align']
