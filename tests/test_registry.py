"""Registries: scope, aliases, locations, and no scope warnings."""
import logging
import warnings

import mmengine.registry as mm_registry
import pytest
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

import da2zoe.registry as registry

CHILDREN = {
    'MODELS': 'MODELS', 'DATASETS': 'DATASETS', 'TRANSFORMS': 'TRANSFORMS',
    'METRICS': 'METRICS', 'EVALUATOR': 'EVALUATOR', 'HOOKS': 'HOOKS',
    'LOOPS': 'LOOPS', 'OPTIMIZERS': 'OPTIMIZERS',
    'OPTIM_WRAPPERS': 'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS': 'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS': 'PARAM_SCHEDULERS', 'VISUALIZERS': 'VISUALIZERS',
    'VISBACKENDS': 'VISBACKENDS', 'LOG_PROCESSORS': 'LOG_PROCESSORS',
    'WEIGHT_INITIALIZERS': 'WEIGHT_INITIALIZERS',
    'MODEL_WRAPPERS': 'MODEL_WRAPPERS', 'DATA_SAMPLERS': 'DATA_SAMPLERS',
}


class _Capture(logging.Handler):

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record.getMessage())


@pytest.fixture
def captured_warnings():
    handler = _Capture()
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        yield handler.records, caught
    logger.removeHandler(handler)


@pytest.mark.parametrize('name', sorted(CHILDREN))
def test_child_registry_scope_parent_and_locations(name):
    child = getattr(registry, name)
    root = getattr(mm_registry, CHILDREN[name])
    assert child.scope == 'da2zoe'
    assert child.parent is root
    assert child._locations, f'{name} has no locations'


def test_model_category_aliases_share_one_namespace():
    assert registry.BACKBONES is registry.MODELS
    assert registry.NECKS is registry.MODELS
    assert registry.HEADS is registry.MODELS
    assert registry.LOSSES is registry.MODELS


def test_locations_register_modules_without_manual_imports():
    # Looking up through the child triggers its locations import.
    assert registry.MODELS.get('MetricDepther') is not None
    assert registry.MODELS.get('DepthDataPreprocessor') is not None


def test_building_from_root_with_default_scope_logs_no_warning(
        captured_warnings):
    records, caught = captured_warnings
    with DefaultScope.overwrite_default_scope('da2zoe'):
        built = mm_registry.MODELS.build(dict(type='DepthDataPreprocessor'))
        for name in CHILDREN:
            root = getattr(mm_registry, CHILDREN[name])
            child = getattr(registry, name)
            child.import_from_location()
            # What Registry.build does with a config's ``type``.
            with root.switch_scope_and_registry(None) as reg:
                assert reg is child, name
                for key in list(child.module_dict):
                    assert reg.get(key) is child.module_dict[key], key
    assert type(built).__module__.startswith('da2zoe.')
    scope_msgs = [m for m in records if 'scope' in m.lower()]
    scope_msgs += [str(w.message) for w in caught
                   if 'scope' in str(w.message).lower()]
    assert not scope_msgs, scope_msgs
