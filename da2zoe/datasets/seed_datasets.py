"""The seed's ``--datasets`` / path flags mapped onto dataset configs."""
import copy
from typing import Dict, List, Mapping, Optional, Sequence, Union

Pipeline = List[dict]

# name -> (dataset type, {constructor arg: seed flag}, required flags).
SEED_DATASETS = {
    'nyu': ('NYUCSVDataset', dict(csv_file='nyu_csv', data_root='nyu_root'),
            ('nyu_csv', 'nyu_root')),
    'sunrgbd': ('SUNRGBDDataset',
                dict(json_file='sunrgbd_json', data_root='sunrgbd_root'),
                ('sunrgbd_json', 'sunrgbd_root')),
    'ibims': ('IBimsDataset', dict(data_root='ibims_root'), ('ibims_root', )),
    'da2k': ('DA2KDataset',
             dict(data_root='da2k_root', ann_file='da2k_annotation'),
             ('da2k_root', )),
    'kitti': ('KITTIDataset',
              dict(split_file='kitti_split', data_root='kitti_root'),
              ('kitti_split', 'kitti_root')),
}


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

    Flags map onto arguments: ``--nyu-csv`` / ``--nyu-root`` ->
    :class:`NYUCSVDataset`; ``--sunrgbd-json`` / ``--sunrgbd-root`` (and
    ``--use-bfx-depth``) -> :class:`SUNRGBDDataset`; ``--ibims-root`` ->
    :class:`IBimsDataset`; ``--da2k-root`` / ``--da2k-annotation`` ->
    :class:`DA2KDataset`; ``--kitti-split`` / ``--kitti-root`` ->
    :class:`KITTIDataset`. Each dataset keeps its own ranges and evaluation
    spec; in ``test_mode`` iBims-1 also loads its edge and plane extras.

    Args:
        names (Sequence[str]): Dataset names, from ``nyu``, ``sunrgbd``,
            ``ibims``, ``da2k``, ``kitti``.
        paths (Mapping[str, str | None]): Flag values keyed by flag name
            (``nyu_csv``, ``nyu-csv`` and ``--nyu-csv`` all work).
        pipeline (list[dict] | Mapping[str, list[dict]]): One pipeline for
            every dataset, or one per name.
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
                         f'{sorted(SEED_DATASETS)}')
    unknown = [n for n in names if n not in SEED_DATASETS]
    if unknown:
        raise ValueError(f'--datasets: unknown {unknown}; known: '
                         f'{sorted(SEED_DATASETS)}')
    if len(set(names)) != len(names):
        raise ValueError(f'--datasets: {list(names)} names a dataset twice')
    paths = _normalise(paths)
    configs = []
    for name in names:
        type_name, arg_flags, required = SEED_DATASETS[name]
        missing = [_flag(f) for f in required if f not in paths]
        if missing:
            raise ValueError(f'--datasets {name} needs {" and ".join(missing)}')
        cfg = dict(type=type_name)
        cfg.update({arg: paths[f] for arg, f in arg_flags.items() if f in paths})
        if name == 'sunrgbd':
            cfg['use_bfx_depth'] = use_bfx_depth
        if name == 'ibims' and test_mode:
            cfg['with_ibims_extras'] = True
        chosen = pipeline[name] if isinstance(pipeline, Mapping) else pipeline
        cfg.update(pipeline=copy.deepcopy(list(chosen)), test_mode=test_mode)
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
