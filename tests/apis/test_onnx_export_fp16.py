"""``export_onnx(fp16=True)``: a float16 network with float32 input and
output that ONNX Runtime's CPU provider loads and runs, dynamic sizes."""
import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto
from test_onnx_export import EXPORT_SIZE, reference, tiny_config

from da2zoe.apis import init_model
from da2zoe.apis.export import export_onnx
from da2zoe.apis.onnx_backend import OnnxDepther


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    torch.manual_seed(0)
    model = init_model(tiny_config('adapter'))
    path = tmp_path_factory.mktemp('onnx') / 'half.onnx'
    export_onnx(model, path, size=EXPORT_SIZE, dynamic=True, fp16=True)
    return model, str(path)


def test_float16_weights_float32_io_and_the_model_is_untouched(exported):
    model, path = exported
    graph = onnx.load(path)
    onnx.checker.check_model(graph, full_check=True)
    weights = [init for init in graph.graph.initializer
               if init.name.startswith('model.')]  # the network's own
    assert len(weights) > 50
    assert {w.data_type for w in weights} == {TensorProto.FLOAT16}
    for value in (*graph.graph.input, *graph.graph.output):
        assert value.type.tensor_type.elem_type == TensorProto.FLOAT
    assert {p.dtype for p in model.parameters()} == {torch.float32}


@pytest.mark.parametrize('batch,height,width', [(1, 112, 126),
                                                (2, 196, 154)])
def test_onnxruntime_cpu_runs_it_near_float32(exported, batch, height,
                                              width):
    """float16 rounding (2**-11 relative per step) across the network: a
    few 1e-4 on the tiny model (measured 2e-4 max); 5e-3 leaves room for
    another CPU's kernels, and the error must not be zero (a float32 graph
    would pass otherwise)."""
    model, path = exported
    images = torch.rand(batch, 3, height, width,
                        generator=torch.Generator().manual_seed(height))
    got = OnnxDepther(path).run(images.numpy())
    assert got.shape == (batch, 1, height, width) and got.dtype == np.float32
    error = np.abs(got / reference(model, images) - 1)
    assert 1e-6 < error.max() <= 5e-3
