"""da2zoe.analysis.peer_compare on tiny DA-V2 models: the peer computes our
function, interleaved stats, clear refusals. No timing assertions (the tool
is tested in tests/tools/test_benchmark_tool.py)."""
import pytest
import torch

from da2zoe.analysis import peer_compare as pc
from da2zoe.registry import MODELS

pytest.importorskip('transformers')
BACKBONE = dict(type='DINOv2', img_size=56, out_indices=(0, 1, 2, 3),
                pos_embed_rule='transformers',
                arch=dict(embed_dims=32, num_layers=4, num_heads=2))
NECK = dict(type='DPTNeck', in_channels=32, features=16,
            out_channels=(8, 16, 24, 32), head_activation='sigmoid',
            max_depth=20.0)


def tiny_depther(head=None):
    head = head or dict(type='DPTMetricHead', max_depth=20.0)
    return MODELS.build(dict(type='MetricDepther', backbone=BACKBONE,
                             neck=NECK, head=head))


@pytest.mark.parametrize('kind', pc.KINDS)
def test_peer_computes_our_function(kind):
    depther = tiny_depther()
    if kind == 'relative':
        depther.neck.head_activation = 'relu'
        depther.neck.scratch.output_conv2[3] = torch.nn.ReLU()
    ours = pc.OurDepthAnything(depther, kind).eval()
    peer = pc.DepthAnythingPeer(depther.backbone, depther.neck).eval()
    x = torch.randn(2, 3, 56, 70)
    with torch.no_grad():
        a, b = ours(x), peer(x)
    assert a.shape == b.shape == (2, 1, 56, 70)
    assert pc.max_relative_difference(a, b) < 1e-5


@pytest.mark.parametrize('mode', ['infer', 'train'])
def test_compare_interleaves_and_reports_ratios(mode):
    depther = tiny_depther()
    ours = pc.OurDepthAnything(depther, 'metric')
    peer = pc.DepthAnythingPeer(depther.backbone, depther.neck)
    before = [p.detach().clone() for p in peer.parameters()]
    x, target = torch.randn(1, 3, 42, 56), 5 + torch.rand(1, 1, 42, 56)
    result = pc.compare(ours, peer, mode, x, target, iters=2, warmup=1,
                        autocast=lambda: torch.autocast('cpu',
                                                        enabled=False),
                        device=torch.device('cpu'))
    for name in ('ours', 'peer'):
        assert len(result[name]['times_s']) == 2
        assert result[name]['median_s'] > 0
    assert result['ratio'] == pytest.approx(
        result['peer']['median_s'] / result['ours']['median_s'])
    assert result['max_rel_diff'] < 1e-5
    moved = any(not torch.equal(a, b) for a, b in
                zip(before, peer.parameters()))
    assert moved == (mode == 'train')


def test_timed_calls_run_without_heap_trims(monkeypatch):
    """A heap trim before a timed call would make it fault its working set
    in again (the side with more memory pays more): trims and peak resets
    happen only in the memory rounds, after every timed call."""
    events = []

    def reset():
        events.append('reset')
        return True

    monkeypatch.setattr(pc, 'reset_peak_rss', reset)
    calls = {name: (lambda name=name: events.append(name))
             for name in ('ours', 'peer')}
    stats = pc.interleaved(calls, iters=3, warmup=1,
                           device=torch.device('cpu'), memory_rounds=2)
    timed = events[2:8]
    assert timed == ['ours', 'peer'] * 3
    assert events[8:] == ['reset', 'ours', 'reset', 'peer'] * 2
    for name in calls:
        assert len(stats[name]['times_s']) == 3


def test_other_layers_are_refused_by_name():
    zoe = tiny_depther(dict(
        type='ZoeDepthHead', bottleneck_channels=16, level_channels=16,
        final_channels=32, n_bins=8, bin_embedding_dim=8, seed_mlp_dim=8,
        projector_mlp_dim=8, attractor_mlp_dim=8))
    with pytest.raises(ValueError, match='cfg.py: the metric comparison '
                       'needs DPTMetricHead.*ZoeDepthHead'):
        pc.check_same_layers(zoe, 'metric', 'cfg.py')
    pc.check_same_layers(zoe, 'relative', 'cfg.py')
