"""The table of seed datasets: ``--datasets`` names and their path flags.

The one place that says which datasets the seed's ``--datasets`` knows, which
constructor argument each path flag fills, and how each is evaluated.
``da2zoe.cli`` generates the command-line flags of ``tools/train.py`` and
``tools/test.py`` from it (``nyu_csv`` -> ``--nyu-csv``); the defaults of each
dataset are in its config base.
"""
import copy
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

Pipeline = List[dict]


@dataclass(frozen=True)
class SeedPath:
    """One path flag of a seed dataset.

    Args:
        key (str): The flag's name with underscores (``nyu_csv`` is
            ``--nyu-csv``).
        arg (str): The dataset constructor argument it fills.
        kind (str): ``'list'`` (a training list file, swapped for its
            held-out sibling for evaluation), ``'root'`` or ``'annotation'``
            (kept as they are for evaluation).
        required (bool): ``--datasets NAME`` fails without it.
    """
    key: str
    arg: str
    kind: str
    required: bool = True


@dataclass(frozen=True)
class SeedDataset:
    """One ``--datasets`` name.

    Args:
        name (str): The ``--datasets`` name (also the samples'
            ``dataset_name``).
        type (str): The registered dataset class.
        paths (tuple[SeedPath, ...]): Its path flags.
        config_base (str): The dataset base config holding its defaults.
        metric (str): The evaluator of its samples.
        held_out (bool): Whether validation and testing use it (DA-2K has
            no held-out split: it is a test set of pairs).
        switch (str, optional): A boolean constructor argument set by the
            flag of the same name (``use_bfx_depth`` -> ``--use-bfx-depth``).
        test_args (dict): Constructor arguments added in test mode.
        own_transforms (tuple[str, ...]): Transform types that belong to
            this dataset alone (NYU's border mask, KITTI's KB crop): left
            out of every other dataset's pipeline (:func:`dataset_pipeline`).
        gt_transforms (tuple[dict, ...]): Transforms its protocol needs
            (KITTI's KB crop: the Garg crop is defined on its grid), added
            right after ``LoadDepth`` when the config's pipeline lacks them.
    """
    name: str
    type: str
    paths: Tuple[SeedPath, ...]
    config_base: str
    metric: str = 'DepthMetric'
    held_out: bool = True
    switch: Optional[str] = None
    test_args: Mapping[str, object] = field(default_factory=dict)
    own_transforms: Tuple[str, ...] = ()
    gt_transforms: Tuple[Mapping[str, object], ...] = ()


SEED_DATASETS: Tuple[SeedDataset, ...] = (
    SeedDataset('nyu', 'NYUCSVDataset', (
        SeedPath('nyu_csv', 'csv_file', 'list'),
        SeedPath('nyu_root', 'data_root', 'root'),
    ), 'configs/_base_/datasets/nyu.py',
        own_transforms=('NYUBorderCrop', )),
    SeedDataset('sunrgbd', 'SUNRGBDDataset', (
        SeedPath('sunrgbd_json', 'json_file', 'list'),
        SeedPath('sunrgbd_root', 'data_root', 'root'),
    ), 'configs/_base_/datasets/sunrgbd.py', switch='use_bfx_depth'),
    SeedDataset('ibims', 'IBimsDataset', (
        SeedPath('ibims_root', 'data_root', 'root'),
    ), 'configs/_base_/datasets/ibims.py',
        test_args=dict(with_ibims_extras=True)),
    SeedDataset('da2k', 'DA2KDataset', (
        SeedPath('da2k_root', 'data_root', 'root'),
        SeedPath('da2k_annotation', 'ann_file', 'annotation', required=False),
    ), 'configs/_base_/datasets/da2k.py', metric='DA2KMetric',
        held_out=False),
    SeedDataset('kitti', 'KITTIDataset', (
        SeedPath('kitti_split', 'split_file', 'list'),
        SeedPath('kitti_root', 'data_root', 'root'),
    ), 'configs/_base_/datasets/kitti.py',
        own_transforms=('KBCrop', ), gt_transforms=(dict(type='KBCrop'), )),
)
SEED_NAMES: Tuple[str, ...] = tuple(d.name for d in SEED_DATASETS)


def seed_dataset(name: str) -> SeedDataset:
    """The table entry of ``name``.

    Args:
        name (str): A ``--datasets`` name.

    Raises:
        ValueError: On an unknown name (the known ones are listed).
    """
    for entry in SEED_DATASETS:
        if entry.name == name:
            return entry
    raise ValueError(f'--datasets: unknown {name!r}; known: '
                     f'{sorted(SEED_NAMES)}')


def dataset_pipeline(entry: SeedDataset, pipeline: Pipeline) -> Pipeline:
    """``pipeline`` made right for one dataset of a ``--datasets`` mix.

    A config's pipeline is written for its own dataset: an NYU config masks
    NYU's border, a KITTI config takes the KB crop. Given to another
    dataset, those transforms would change its protocol (SUN RGB-D frames
    losing a border that is not theirs), so the other datasets'
    ``own_transforms`` are left out; the entry's ``gt_transforms`` (KITTI
    frames scored without their KB crop would be off the Garg crop's grid)
    are put in right after ``LoadDepth`` where missing (one of the same
    type already there is kept as it is).

    Args:
        entry (SeedDataset): The dataset.
        pipeline (list[dict]): The config's pipeline (not changed).

    Returns:
        list[dict]: A new pipeline.

    Raises:
        ValueError: If the entry's transforms are needed and the pipeline
            has no ``LoadDepth`` to put them after.
    """
    foreign = {name for other in SEED_DATASETS if other is not entry
               for name in other.own_transforms} - set(entry.own_transforms)
    result = [copy.deepcopy(t) for t in pipeline
              if t.get('type') not in foreign]
    missing = [dict(t) for t in entry.gt_transforms
               if not any(r.get('type') == t['type'] for r in result)]
    if missing:
        loads = [i for i, t in enumerate(result)
                 if t.get('type') == 'LoadDepth']
        if not loads:
            raise ValueError(
                f'--datasets {entry.name}: the pipeline has no LoadDepth '
                f'to put {[t["type"] for t in missing]} after')
        result[loads[-1] + 1:loads[-1] + 1] = missing
    return result


def _flag(key: str) -> str:
    return '--' + key.replace('_', '-')


def _normalise(paths: Mapping[str, Optional[str]]) -> Dict[str, str]:
    """Accept ``nyu_csv``, ``nyu-csv`` or ``--nyu-csv``; drop empty values."""
    return {
        key.lstrip('-').replace('-', '_'): value
        for key, value in paths.items() if value
    }


def build_seed_datasets(names: Sequence[str],
                        paths: Mapping[str, Optional[str]],
                        pipeline: Union[Pipeline, Mapping[str, Pipeline]],
                        use_bfx_depth: bool = False,
                        ratios: Optional[Union[Sequence[float],
                                               Mapping[str, float]]] = None,
                        test_mode: bool = False) -> dict:
    """A dataset CONFIG for the seed's ``--datasets nyu sunrgbd ibims da2k``.

    Each path flag fills the constructor argument :data:`SEED_DATASETS`
    gives it (``--nyu-csv`` -> ``NYUCSVDataset.csv_file``). Each dataset
    keeps its own ranges and evaluation spec; in ``test_mode`` an entry's
    ``test_args`` are added (iBims-1 loads its edge and plane extras).

    Args:
        names (Sequence[str]): Dataset names from :data:`SEED_NAMES`.
        paths (Mapping[str, str | None]): Flag values keyed by flag name
            (``nyu_csv``, ``nyu-csv`` and ``--nyu-csv`` all work).
        pipeline (list[dict] | Mapping[str, list[dict]]): One pipeline for
            every dataset, or one per name; each is fitted to its dataset
            by :func:`dataset_pipeline`.
        use_bfx_depth (bool): SUN RGB-D's filled depth. Default: False.
        ratios (Sequence[float] | Mapping[str, float], optional): Sampling
            shares, in the order of ``names`` or by name. Default: None.
        test_mode (bool): Evaluation datasets. Default: False.

    Returns:
        dict: One dataset config if a single name and no ratios, else a
        ``DepthConcatDataset`` config.

    Raises:
        ValueError: On an unknown name, a missing flag (named), or ratios
            that do not match the names.
    """
    if not names:
        raise ValueError('--datasets: name at least one of '
                         f'{sorted(SEED_NAMES)}')
    entries = [seed_dataset(name) for name in names]
    if len(set(names)) != len(names):
        raise ValueError(f'--datasets: {list(names)} names a dataset twice')
    paths = _normalise(paths)
    switches = dict(use_bfx_depth=use_bfx_depth)
    configs = []
    for entry in entries:
        missing = [_flag(p.key) for p in entry.paths
                   if p.required and p.key not in paths]
        if missing:
            raise ValueError(
                f'--datasets {entry.name} needs {" and ".join(missing)}')
        cfg = dict(type=entry.type)
        cfg.update({p.arg: paths[p.key] for p in entry.paths
                    if p.key in paths})
        if entry.switch is not None:
            cfg[entry.switch] = bool(switches[entry.switch])
        if test_mode:
            cfg.update(entry.test_args)
        chosen = pipeline[entry.name] if isinstance(pipeline,
                                                    Mapping) else pipeline
        cfg.update(pipeline=dataset_pipeline(entry, list(chosen)),
                   test_mode=test_mode)
        configs.append(cfg)
    if isinstance(ratios, Mapping):
        extra = set(ratios) - set(names)
        if extra:
            raise ValueError(f'ratios for {sorted(extra)}: not in --datasets')
        ratios = [float(ratios.get(name, 1.0)) for name in names]
    if ratios is not None and len(ratios) != len(names):
        raise ValueError(f'{len(ratios)} ratios for {len(names)} datasets')
    if len(configs) == 1 and ratios is None:
        return configs[0]
    return dict(
        type='DepthConcatDataset',
        datasets=configs,
        ratios=None if ratios is None else list(ratios))


def held_out_paths(paths: Mapping[str, Optional[str]]) -> Dict[str, str]:
    """Evaluation lists next to the training lists the seed flags name.

    The seed's flags name training lists only. For evaluation, a list whose
    file name says ``train`` is swapped for its ``test`` (or ``val``)
    sibling when that file exists (``nyu2_train.csv`` -> ``nyu2_test.csv``,
    ``sunrgbd_train.json`` -> ``sunrgbd_test.json``); a dataset without one
    is left out of evaluation rather than evaluated on its training data.
    Roots and annotations are kept (iBims-1 is a test set: its root is
    kept).

    Args:
        paths (Mapping[str, str | None]): Seed path flags (``nyu_csv``,
            ``nyu_root``, ...).

    Returns:
        dict: The paths to evaluate on.
    """
    paths = _normalise(paths)
    kinds = {p.key: p.kind for entry in SEED_DATASETS for p in entry.paths}
    held_out = {}
    for key, value in paths.items():
        if kinds.get(key) != 'list':
            held_out[key] = value
            continue
        folder, name = osp.split(value)
        root = paths.get(key.rsplit('_', 1)[0] + '_root', '')
        for word in ('test', 'val'):
            candidate = osp.join(folder, name.replace('train', word))
            if 'train' in name and (osp.isfile(candidate) or osp.isfile(
                    osp.join(root, candidate))):
                held_out[key] = candidate
                break
    return held_out


def held_out_names(names: Sequence[str],
                   paths: Mapping[str, Optional[str]]) -> List[str]:
    """The ``names`` that have a held-out split among ``paths``.

    Args:
        names (Sequence[str]): ``--datasets`` names.
        paths (Mapping[str, str | None]): Output of :func:`held_out_paths`.

    Returns:
        list[str]: Names whose entry evaluates on held-out data and whose
        required paths are all there.
    """
    paths = _normalise(paths)
    return [
        name for name in names if seed_dataset(name).held_out and all(
            p.key in paths for p in seed_dataset(name).paths if p.required)
    ]


def seed_evaluators(names: Sequence[str]) -> List[dict]:
    """Evaluator configs for a mix of seed datasets (one per metric kind).

    Args:
        names (Sequence[str]): ``--datasets`` names.

    Returns:
        list[dict]: ``DepthMetric`` first, then ``DA2KMetric`` when DA-2K is
        named.
    """
    metrics = ['DepthMetric']
    for name in names:
        metric = seed_dataset(name).metric
        if metric not in metrics:
            metrics.append(metric)
    return [dict(type=metric) for metric in metrics]
