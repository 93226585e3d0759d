"""Several models on the same data under the same protocol.

One test set and one evaluator configuration (from a data config's
``test_dataloader`` / ``test_evaluator``) serve every model: the same
images, pipeline, depth range, crop and metric definitions. A model's own
config contributes only its network (and, for a relative model, the
``align`` / ``pred_space`` of its ``DepthMetric``: a relative model is only
scored aligned), so the numbers compare; each model's protocol record is
kept with them and the keys in which two records differ are reported.

Every config and checkpoint is read before the first evaluation, so a typo
in the fifth model fails at once, naming it.
"""
import copy
import os
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator
from torch.utils.data import DataLoader

from da2zoe.checkpoint import load_pretrained
from da2zoe.datasets.codecs import write_raw
from da2zoe.evaluation.protocol import protocol_record
from da2zoe.evaluation.scoring_settings import apply_scoring_settings
from da2zoe.registry import DATASETS, METRICS, MODELS
from da2zoe.visualization import model_panels

RELATIVE_KEYS = ('align', 'pred_space')
#: Protocol keys that must agree for the numbers to compare.
COMPARED_KEYS = ('flip', 'camera', 'metrics', 'datasets')
MAX_REASON = 400  # characters of a loader's message kept in ours


class ModelSpecError(ValueError):
    """A model's config or checkpoint cannot be used; names the model."""


@dataclass
class ModelSpec:
    """One model of a comparison.

    Args:
        name (str): Its row in the table.
        config (str): Its config file.
        checkpoint (str): Its weights (any layout ``load_pretrained``
            reads).
    """

    name: str
    config: str
    checkpoint: str


def parse_model_specs(specs: Sequence[str],
                      names: Optional[Sequence[str]] = None
                      ) -> List[ModelSpec]:
    """``[NAME=]CONFIG:CHECKPOINT`` strings -> model specs.

    The config is split off at the first ``:`` (a checkpoint may be
    ``hf://...``). Without a name a model is called by its config's stem,
    or ``<config stem>/<checkpoint stem>`` when two share a config.

    Args:
        specs (Sequence[str]): The command line's model arguments.
        names (Sequence[str], optional): Names, one per spec.

    Raises:
        ModelSpecError: On a malformed spec, a wrong count of names or two
            models of the same name.
    """
    if names is not None and len(names) != len(specs):
        raise ModelSpecError(f'{len(names)} names for {len(specs)} models')
    parsed = []
    for index, spec in enumerate(specs):
        name, sep, rest = spec.partition('=')
        if not sep or ':' in name:
            name, rest = None, spec
        config, sep, checkpoint = rest.partition(':')
        if not sep or not config or not checkpoint:
            raise ModelSpecError(f'model {index + 1} {spec!r}: expected '
                                 '[NAME=]CONFIG:CHECKPOINT')
        if names is not None:
            name = names[index]
        parsed.append(ModelSpec(name, config, checkpoint))
    stems = [osp.splitext(osp.basename(s.config))[0] for s in parsed]
    for spec, stem in zip(parsed, stems):
        if spec.name is None:
            ckpt = osp.splitext(osp.basename(spec.checkpoint.rstrip('/')))[0]
            spec.name = stem if stems.count(stem) == 1 else f'{stem}/{ckpt}'
    seen = [s.name for s in parsed]
    twice = sorted({n for n in seen if seen.count(n) > 1})
    if twice:
        raise ModelSpecError(f'two models named {twice}: give --names')
    return parsed


def load_model(spec: ModelSpec, device: str = 'cpu') -> torch.nn.Module:
    """Builds a spec's model and loads its weights, in eval mode.

    Raises:
        ModelSpecError: Naming the model and its file when the config or
            checkpoint is missing or unreadable, the config has no
            ``model``, or the checkpoint holds none of the model's weights.
    """
    where = f'model {spec.name!r}'
    if not osp.isfile(spec.config):
        raise ModelSpecError(f'{where}: config {spec.config!r} not found')
    try:
        cfg = Config.fromfile(spec.config)
    except Exception as err:  # any parse error: name the file
        raise ModelSpecError(f'{where}: cannot read config {spec.config!r}:'
                             f' {type(err).__name__}: {err}') from err
    if 'model' not in cfg:
        raise ModelSpecError(f'{where}: config {spec.config!r} defines no '
                             '`model`')
    if '://' not in spec.checkpoint and not osp.exists(spec.checkpoint):
        raise ModelSpecError(
            f'{where}: checkpoint {spec.checkpoint!r} not found')
    model_cfg = copy.deepcopy(cfg.model)
    # Weights come from the checkpoint alone, as tools/test.py does.
    model_cfg.pretrained = None
    model_cfg.init_cfg = None
    model_cfg.setdefault('backbone', dict())['init_cfg'] = None
    try:
        model = MODELS.build(model_cfg)
    except Exception as err:
        raise ModelSpecError(f'{where}: cannot build the model of '
                             f'{spec.config!r}: {err}') from err
    try:
        result = load_pretrained(model, spec.checkpoint, logger='silent')
    except Exception as err:
        reason = str(err)
        if len(reason) > MAX_REASON:  # e.g. every mismatched shape
            reason = reason[:MAX_REASON] + ' ...'
        raise ModelSpecError(f'{where}: cannot read checkpoint '
                             f'{spec.checkpoint!r} into {spec.config!r}: '
                             f'{type(err).__name__}: {reason}') from err
    total = len(model.state_dict())
    if len(result.missing_keys) == total:
        raise ModelSpecError(f'{where}: checkpoint {spec.checkpoint!r} holds '
                             f'none of the {total} tensors of the model of '
                             f'{spec.config!r}')
    model.cfg = cfg
    model.missing_keys = list(result.missing_keys)
    return model.to(device).eval()


def relative_settings(model_cfg: Config) -> dict:
    """``align`` / ``pred_space`` of the ``DepthMetric`` a model's own
    config tests with (empty for a metric model)."""
    evaluator = model_cfg.get('test_evaluator') or []
    items = evaluator if isinstance(evaluator, (list, tuple)) else [
        evaluator]
    found = {}
    for item in items:
        if isinstance(item, dict) and item.get('type') == 'DepthMetric':
            found.update({k: item[k] for k in RELATIVE_KEYS
                          if item.get(k) is not None})
    return found


def evaluator_for(evaluator_cfg, overrides: dict) -> List[dict]:
    """A fresh copy of the shared evaluator configs with ``overrides`` set
    on every ``DepthMetric`` (and ``pred_space`` on a ``DA2KMetric``)."""
    items = copy.deepcopy(evaluator_cfg)
    items = list(items) if isinstance(items, (list, tuple)) else [items]
    apply_scoring_settings(items, overrides)
    return items


@dataclass
class DataProtocol:
    """The shared test set and evaluator of a comparison.

    Args:
        dataset: The built test dataset.
        loader (DataLoader): Over it, in order.
        evaluator_cfg (list[dict]): The evaluator configs.
        dataset_cfg (dict): The dataset's config (to swap its pipeline).
    """

    dataset: object
    loader: DataLoader
    evaluator_cfg: List[dict]
    dataset_cfg: Optional[dict] = None


def _loader(dataset, batch_size: int, num_workers: int) -> DataLoader:
    return DataLoader(dataset, batch_size=batch_size, shuffle=False,
                      num_workers=num_workers, collate_fn=pseudo_collate)


def _set_pipeline(dataset_cfg: dict, pipeline: list) -> None:
    """Sets ``pipeline`` on a dataset config and on every dataset it
    wraps (``datasets`` / ``dataset`` keys of a mix or wrapper)."""
    children = list(dataset_cfg.get('datasets') or [])
    if isinstance(dataset_cfg.get('dataset'), dict):
        children.append(dataset_cfg['dataset'])
    if not children:  # a leaf dataset: it owns the pipeline
        dataset_cfg['pipeline'] = copy.deepcopy(pipeline)
    for child in children:
        _set_pipeline(child, pipeline)


def model_test_pipeline(spec: 'ModelSpec', model_cfg: Config) -> list:
    """A model config's own test pipeline (``test_pipeline``, else its test
    dataset's).

    Raises:
        ModelSpecError: If the config has none.
    """
    pipeline = model_cfg.get('test_pipeline')
    if pipeline is None:
        loader = model_cfg.get('test_dataloader') or {}
        pipeline = (loader.get('dataset') or {}).get('pipeline')
    if not pipeline:
        raise ModelSpecError(f'model {spec.name!r}: {spec.config!r} has no '
                             'test_pipeline for --pipeline model')
    return list(pipeline)


def with_pipeline(data: DataProtocol, pipeline: list) -> DataProtocol:
    """The same data list and evaluator through another pipeline."""
    dataset_cfg = copy.deepcopy(data.dataset_cfg)
    _set_pipeline(dataset_cfg, pipeline)
    dataset = DATASETS.build(dataset_cfg)
    return DataProtocol(
        dataset, _loader(dataset, data.loader.batch_size,
                         data.loader.num_workers), data.evaluator_cfg,
        dataset_cfg)


def build_data_protocol(data_config: str,
                        cfg_options: Optional[dict] = None,
                        batch_size: Optional[int] = None) -> DataProtocol:
    """The test set and evaluator of a data config.

    Args:
        data_config (str): A config with ``test_dataloader`` (or
            ``val_dataloader``) and, optionally, ``test_evaluator`` (else
            ``val_evaluator``, else ``DepthMetric()``).
        cfg_options (dict, optional): Overrides of the data config.
        batch_size (int, optional): Instead of the loader's.

    Raises:
        ValueError: If the config is missing or defines no test data.
    """
    if not osp.isfile(data_config):
        raise ValueError(f'--dataset config {data_config!r} not found')
    cfg = Config.fromfile(data_config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    loader_cfg = cfg.get('test_dataloader') or cfg.get('val_dataloader')
    if not loader_cfg:
        raise ValueError(f'{data_config} defines no test_dataloader')
    evaluator = (cfg.get('test_evaluator') or cfg.get('val_evaluator')
                 or dict(type='DepthMetric'))
    dataset_cfg = loader_cfg.dataset.to_dict()
    dataset = DATASETS.build(copy.deepcopy(dataset_cfg))
    loader = _loader(dataset, batch_size or loader_cfg.get('batch_size', 1),
                     loader_cfg.get('num_workers', 0))
    items = evaluator if isinstance(evaluator, (list, tuple)) else [
        evaluator]
    return DataProtocol(dataset, loader, [dict(e) for e in items],
                        dataset_cfg)


def evaluate_model(model: torch.nn.Module, data: DataProtocol,
                   overrides: dict, keep: int = 0) -> tuple:
    """One model over the whole test set.

    Args:
        model (nn.Module): From :func:`load_model`.
        data (DataProtocol): The shared data and evaluator.
        overrides (dict): Keys set on every ``DepthMetric``.
        keep (int): Predictions of the first ``keep`` images to return.

    Returns:
        tuple[dict, list]: The metrics and the kept samples.
    """
    metrics = [METRICS.build(c) for c in evaluator_for(data.evaluator_cfg,
                                                        overrides)]
    evaluator = Evaluator(metrics)
    evaluator.dataset_meta = getattr(data.dataset, 'metainfo', None)
    kept = []
    with torch.no_grad():
        for batch in data.loader:
            outputs = model.test_step(batch)
            evaluator.process(outputs, batch)
            kept += [s.cpu() for s in outputs[:max(keep - len(kept), 0)]]
    return evaluator.evaluate(len(data.dataset)), kept


def protocol_differences(records: Dict[str, dict]) -> List[str]:
    """Dotted keys of :data:`COMPARED_KEYS` whose values differ between
    the models' protocol records."""
    def flatten(node, prefix=''):
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                out.update(flatten(value, f'{prefix}{key}.'))
            return out
        return {prefix[:-1]: node}

    flat = [flatten({k: r.get(k) for k in COMPARED_KEYS})
            for r in records.values()]
    keys = sorted(set().union(*flat)) if flat else []
    return [k for k in keys if len({repr(f.get(k)) for f in flat}) > 1]


def write_panels(out_dir: str, kept: Dict[str, list],
                 cmap: str = 'turbo') -> List[str]:
    """``<out_dir>/<image stem>.png``: each kept image's models side by
    side (:func:`~da2zoe.visualization.model_panels`)."""
    os.makedirs(out_dir, exist_ok=True)
    names = list(kept)
    written = []
    for index, first in enumerate(kept[names[0]]):
        image = cv2.imread(first.img_path, cv2.IMREAD_COLOR)
        if image is None:
            raise OSError(f'cannot read {first.img_path!r} for a panel')
        preds = {n: kept[n][index].pred_depth[0].numpy() for n in names}
        panel = model_panels(image[..., ::-1], preds,
                             first.gt_depth[0].numpy(),
                             first.gt_mask[0].numpy(), cmap)
        stem = osp.splitext(osp.basename(first.img_path))[0]
        path = osp.join(out_dir, f'{index:03d}_{stem}.png')
        write_raw(path, np.ascontiguousarray(panel[..., ::-1]))
        written.append(path)
    return written


def compare_models(specs: Sequence[ModelSpec],
                   data: DataProtocol,
                   data_config: str,
                   device: str = 'cpu',
                   align: Optional[str] = None,
                   flip: bool = False,
                   show: int = 0,
                   log: Callable[[str], None] = print,
                   own_pipelines: bool = False) -> dict:
    """Evaluates every model on the same data; checks them all first.

    Args:
        specs (Sequence[ModelSpec]): The models.
        data (DataProtocol): The shared data and evaluator.
        data_config (str): Its config file (for the record).
        device (str): Where the models run. Defaults to ``'cpu'``.
        align (str, optional): Alignment for every model (relative models
            only); by default each model's own config's.
        flip (bool): Flip averaging for every model. Defaults to False.
        show (int): Predictions of the first ``show`` images to keep for
            panels. Defaults to 0.
        log (Callable): Progress lines. Defaults to ``print``.
        own_pipelines (bool): Run each model's own config's test pipeline
            over the data config's samples (e.g. DA3's longest-side resize
            next to a keep-aspect model); the records then differ in the
            input rule, which is reported. Defaults to False: the data
            config's pipeline for all.

    Returns:
        dict: ``models`` (name -> config, checkpoint, metrics, protocol,
        missing_keys), ``data_config``, ``differences`` and, with ``show``,
        ``kept`` (name -> samples; not JSON).

    Raises:
        ModelSpecError: Before any evaluation, for the first model that
            cannot be read.
    """
    pipelines = {}
    for spec in specs:  # read everything first; free the weights again
        model = load_model(spec, 'cpu')
        if own_pipelines:
            pipelines[spec.name] = model_test_pipeline(spec, model.cfg)
        log(f'{spec.name}: {spec.config} + {spec.checkpoint} read '
            f'({len(model.missing_keys)} tensors not in the checkpoint)')
        del model
    out = dict(data_config=osp.abspath(data_config), models={}, kept={},
               pipeline='model' if own_pipelines else 'data')
    shared = data
    for spec in specs:
        if own_pipelines:
            data = with_pipeline(shared, pipelines[spec.name])
        datasets = getattr(data.dataset, 'datasets', [data.dataset])
        model = load_model(spec, device)
        if flip:
            model.test_cfg['flip'] = True
        overrides = relative_settings(model.cfg)
        if align is not None:
            overrides['align'] = align
        log(f'evaluating {spec.name} on {len(data.dataset)} images'
            + (f' ({overrides})' if overrides else ''))
        metrics, kept = evaluate_model(model, data, overrides, show)
        record = protocol_record(
            spec.config, spec.checkpoint, model.cfg.model.to_dict()
            | dict(test_cfg=dict(model.test_cfg)), datasets,
            align=overrides.get('align'),
            pred_space=overrides.get('pred_space', 'depth'))
        out['models'][spec.name] = dict(
            config=osp.abspath(spec.config),
            checkpoint=spec.checkpoint,
            missing_keys=model.missing_keys,
            metrics={k: float(v) for k, v in metrics.items()},
            protocol=record)
        out['kept'][spec.name] = kept
        del model
    out['differences'] = protocol_differences(
        {n: m['protocol'] for n, m in out['models'].items()})
    return out
