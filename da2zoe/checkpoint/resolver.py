"""Where weights come from: a file, a Hugging Face snapshot, ``hf://``.

Every place that takes a checkpoint (``model.pretrained``,
``init_cfg=dict(type='Pretrained', checkpoint=...)``,
``--pretrained-checkpoint``) goes through :func:`load_weights`:

- a local file: ``.pth`` / ``.pt`` / ``.bin`` (read weights-only with the
  allow list) or ``.safetensors`` (weights-only by construction);
- a local Hugging Face snapshot folder (``config.json`` next to
  ``model.safetensors``, sharded ``model-*-of-*.safetensors`` with their
  index, or ``pytorch_model.bin``);
- ``hf://<owner>/<repo>[/<file>]``: fetched with ``huggingface_hub`` into
  its cache (with ``HF_HUB_OFFLINE=1`` only the cache is read), then read
  as above.

A snapshot's ``config.json`` travels with its weights
(:func:`load_weights_and_config`): it names a Depth Anything 3 model.
"""
import json
import os
import os.path as osp
import re
from typing import Any

from huggingface_hub import hf_hub_download, snapshot_download
from safetensors.torch import load_file

from .safe_load import MapLocation, load_checkpoint_file
from .zoo import where_to_get

HF_SCHEME = 'hf://'
# Preferred weight files of a snapshot folder, best first.
SNAPSHOT_FILES = ('model.safetensors', 'model.safetensors.index.json',
                  'pytorch_model.bin', 'pytorch_model.bin.index.json')
SNAPSHOT_CONFIG = 'config.json'
# Weight files whose folder is a snapshot (shards included).
_SNAPSHOT_WEIGHTS = re.compile(
    r'^(model|pytorch_model)(-\d+-of-\d+)?\.(safetensors|bin)$')


def _snapshot_files(folder: str) -> list[str]:
    """The weight files of a snapshot folder (several when sharded)."""
    name = next((n for n in SNAPSHOT_FILES
                 if osp.isfile(osp.join(folder, n))), None)
    if name is None:
        raise FileNotFoundError(
            f'{folder!r} is a folder but holds none of {SNAPSHOT_FILES} (a '
            'Hugging Face snapshot has config.json and model.safetensors); '
            f'it has {sorted(os.listdir(folder))[:10]}')
    path = osp.join(folder, name)
    if not name.endswith('.index.json'):
        return [path]
    with open(path, encoding='utf-8') as f:
        shards = sorted(set(json.load(f)['weight_map'].values()))
    return [osp.join(folder, shard) for shard in shards]


def _download(spec: str, cache_dir: str | None) -> str:
    """Fetches ``hf://owner/repo[/file]``; returns the local path."""
    parts = spec[len(HF_SCHEME):].strip('/').split('/')
    if len(parts) < 2:
        raise ValueError(f'{spec!r}: expected hf://<owner>/<repo>[/<file>]')
    repo_id, filename = '/'.join(parts[:2]), '/'.join(parts[2:])
    try:
        if filename:
            return hf_hub_download(repo_id, filename, cache_dir=cache_dir)
        return snapshot_download(
            repo_id,
            cache_dir=cache_dir,
            allow_patterns=['*.json', '*.safetensors', 'pytorch_model*.bin'])
    except Exception as err:  # hub errors have many types; name the spec
        raise FileNotFoundError(
            f'Could not get {spec!r} from the Hugging Face Hub or its cache '
            f'({type(err).__name__}: {err}). Offline, download it once '
            'where there is a network (huggingface-cli download '
            f'{repo_id}) or pass a local file or snapshot folder.') from err


def resolve_weights(spec: str | os.PathLike,
                    cache_dir: str | None = None) -> list[str]:
    """Turns a weights spec into the local files that hold the weights.

    Args:
        spec (str | os.PathLike): A file, a snapshot folder or
            ``hf://<owner>/<repo>[/<file>]``.
        cache_dir (str | None): Hugging Face cache folder. Defaults to None
            (``huggingface_hub``'s, ``HF_HUB_CACHE``).

    Returns:
        list[str]: One file, or the shards of a sharded snapshot.

    Raises:
        FileNotFoundError: Naming the spec, if nothing is there.
    """
    spec = os.fspath(spec)
    if spec.startswith(HF_SCHEME):
        spec = _download(spec, cache_dir)
    path = osp.expanduser(spec)
    if osp.isdir(path):
        return _snapshot_files(path)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'No checkpoint file {path!r} (a file, a Hugging Face snapshot '
            'folder or hf://<owner>/<repo>[/<file>] is expected).' +
            where_to_get(path))
    return [path]


def load_weights_file(path: str, map_location: MapLocation = 'cpu') -> Any:
    """Reads one weights file: safetensors, or torch weights-only.

    Args:
        path (str): Local file.
        map_location (MapLocation): As for ``torch.load``; a device name
            for safetensors. Defaults to 'cpu'.

    Returns:
        Any: The state dict, or what the torch file holds.

    Raises:
        ValueError: If a ``.safetensors`` file cannot be read.
    """
    if not path.endswith('.safetensors'):
        return load_checkpoint_file(path, map_location)
    device = map_location if isinstance(map_location, str) else 'cpu'
    try:
        return load_file(path, device=device)
    except Exception as err:  # safetensors raises its own error types
        raise ValueError(f'Could not read safetensors file {path!r}: '
                         f'{type(err).__name__}: {err}') from err


def snapshot_config(files: list[str]) -> dict | None:
    """The ``config.json`` next to a snapshot's weight files, if any.

    Args:
        files (list[str]): What :func:`resolve_weights` returned.

    Returns:
        dict | None: The parsed config, or None when the files are not a
        snapshot's (``model.safetensors``, ``pytorch_model.bin``, shards)
        or no ``config.json`` lies next to them.

    Raises:
        ValueError: Naming the file, if ``config.json`` is not a JSON
            object.
    """
    if not files or not _SNAPSHOT_WEIGHTS.match(osp.basename(files[0])):
        return None
    path = osp.join(osp.dirname(files[0]), SNAPSHOT_CONFIG)
    if not osp.isfile(path):
        return None
    try:
        with open(path, encoding='utf-8') as f:
            config = json.load(f)
    except (OSError, ValueError) as err:
        raise ValueError(f'Could not read the snapshot config {path!r}: '
                         f'{type(err).__name__}: {err}') from err
    if not isinstance(config, dict):
        raise ValueError(f'The snapshot config {path!r} holds a '
                         f'{type(config).__name__}, not a JSON object')
    return config


def load_weights_and_config(
        spec: str | os.PathLike,
        map_location: MapLocation = 'cpu',
        cache_dir: str | None = None) -> tuple[Any, dict | None]:
    """Like :func:`load_weights`, with the snapshot's ``config.json``.

    Args:
        spec (str | os.PathLike): See :func:`resolve_weights`.
        map_location (MapLocation): See :func:`load_weights_file`.
            Defaults to 'cpu'.
        cache_dir (str | None): See :func:`resolve_weights`.

    Returns:
        tuple[Any, dict | None]: The weights and the config (see
        :func:`snapshot_config`).
    """
    files = resolve_weights(spec, cache_dir)
    config = snapshot_config(files)
    if len(files) == 1:
        return load_weights_file(files[0], map_location), config
    merged: dict = {}
    for path in files:
        merged.update(load_weights_file(path, map_location))
    return merged, config


def load_weights(spec: str | os.PathLike,
                 map_location: MapLocation = 'cpu',
                 cache_dir: str | None = None) -> Any:
    """Resolves a weights spec and reads it (shards merged).

    :func:`load_weights_and_config` without the config (same arguments).

    Returns:
        Any: A state dict, or a checkpoint wrapping one.
    """
    return load_weights_and_config(spec, map_location, cache_dir)[0]
