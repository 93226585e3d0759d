"""Every metric the evaluators report has a direction, and the right one:
the comparison table marks the best by it and ``save_best`` keeps by it."""
from da2zoe.evaluation.functional import METRIC_NAMES
from da2zoe.evaluation.metric_direction import direction
from da2zoe.evaluation.metrics.ibims_metric import (
    PER_IMAGE_KEYS,
    PER_PLANE_KEYS,
)


def test_directions_of_names_with_and_without_a_dataset():
    assert direction('abs_rel') == 'lower' and direction('nyu/rmse') == 'lower'
    assert direction('silog') == 'lower' and direction('d3') == 'higher'
    assert direction('da2k/acc') == 'higher'
    assert direction('da2k/acc_indoor') == 'higher'
    assert direction('images') is None and direction('nyu/skipped') is None


def test_every_reported_metric_has_a_direction():
    for name in METRIC_NAMES + PER_IMAGE_KEYS + PER_PLANE_KEYS:
        assert direction(f'set/{name}') is not None, name


def test_ibims_directions():
    # dbe_acc is a boundary error in pixels despite its name; dde_0 the
    # fraction of correctly placed pixels, dde_m / dde_p the wrong ones.
    assert direction('ibims/dbe_acc') == 'lower'
    assert direction('ibims/dde_0') == 'higher'
    assert direction('ibims/dde_m') == 'lower'
    assert direction('ibims/pe_orie') == 'lower'
