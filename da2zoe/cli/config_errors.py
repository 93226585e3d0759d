"""One-line messages for config mistakes that MMEngine reports as a
traceback: an unknown ``type`` names the config key and the registered
names to choose from."""
import contextlib
import difflib
import re
import sys
from typing import Iterator, List, Mapping, Optional

from mmengine.registry import Registry

from da2zoe import registry as da2zoe_registry

_UNKNOWN = re.compile(r"([^\s'\"]+) is not in the (\S+)::(\S+) registry")


def _registry_named(name: str) -> Optional[Registry]:
    for value in vars(da2zoe_registry).values():
        if isinstance(value, Registry) and value.name == name and \
                value.scope == 'da2zoe':
            return value
    return None


def registered_names(registry: Registry) -> List[str]:
    """Names a config can use in ``registry``: ours, then MMEngine's.

    Args:
        registry (Registry): A da2zoe child registry.
    """
    names = sorted(registry.module_dict)
    if registry.parent is not None:
        names += sorted(set(registry.parent.module_dict) - set(names))
    return names


def keys_with_type(cfg: Mapping, type_name: str, prefix: str = '') -> list:
    """Dotted config keys whose ``type`` is ``type_name``.

    Args:
        cfg (Mapping): The config (or a part of it).
        type_name (str): The unknown type.
        prefix (str): Key of ``cfg`` itself. Defaults to ''.
    """
    found = []
    items = cfg.items() if isinstance(cfg, Mapping) else enumerate(cfg)
    for key, value in items:
        path = f'{prefix}.{key}' if prefix else str(key)
        if key == 'type' and value == type_name:
            found.append(path)
        elif isinstance(value, (Mapping, list, tuple)):
            found += keys_with_type(value, type_name, path)
    return found


def unknown_type_message(error: KeyError,
                         cfg: Optional[Mapping] = None) -> Optional[str]:
    """Rewrites MMEngine's "X is not in the scope::name registry" KeyError.

    Args:
        error (KeyError): The error a build raised.
        cfg (Mapping, optional): The config, to name the key(s) that
            hold the type.

    Returns:
        str | None: One line, or None when ``error`` is another KeyError.
    """
    match = _UNKNOWN.search(str(error))
    if not match:
        return None
    type_name, _, registry_name = match.groups()
    if hasattr(cfg, 'to_dict'):  # an mmengine Config is no Mapping
        cfg = cfg.to_dict()
    where = keys_with_type(cfg, type_name) if cfg is not None else []
    where = f" ({', '.join(where)})" if where else ''
    registry = _registry_named(registry_name)
    if registry is None:
        return f'unknown {registry_name} type {type_name!r}{where}'
    names = registered_names(registry)
    close = difflib.get_close_matches(type_name, names, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ''
    return (f'unknown {registry_name} type {type_name!r}{where}; {hint}'
            f"registered: {', '.join(sorted(registry.module_dict))}")


@contextlib.contextmanager
def one_line_config_errors(cfg: Optional[Mapping] = None) -> Iterator[None]:
    """Turns an unknown-``type`` KeyError into one line and exit status 2.

    Args:
        cfg (Mapping, optional): The config being built, to name the key.
    """
    try:
        yield
    except KeyError as err:
        message = unknown_type_message(err, cfg)
        if message is None:
            raise
        print(f'error: {message}', file=sys.stderr)
        raise SystemExit(2) from None
