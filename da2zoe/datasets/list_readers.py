"""Readers of the sample lists: CSV, whitespace split files and JSON."""
import json
import os.path as osp
from typing import Any, Iterator, List, Optional, Tuple


def read_rows(path: str, sep: Optional[str] = None) -> Iterator[Tuple[int,
                                                                     List[str]]]:
    """Yield the fields of each non-empty line of a list file.

    Args:
        path (str): The list file.
        sep (str, optional): Field separator; ``None`` splits on whitespace.
            Fields are stripped either way.

    Yields:
        tuple[int, list[str]]: 1-based line number and the fields.

    Raises:
        FileNotFoundError: If the list file does not exist.
        ValueError: If a line is not UTF-8 (``file:line``).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'list file not found: {path!r}')
    with open(path, 'rb') as handle:
        for line_no, raw in enumerate(handle, start=1):
            line = _decode(path, line_no, raw).strip()
            if not line or line.startswith('#'):
                continue
            yield line_no, [field.strip() for field in line.split(sep)]


def _decode(path: str, line_no: int, raw: bytes) -> str:
    """One line as UTF-8 (a BOM on line 1 dropped), or ``file:line``."""
    try:
        return raw.decode('utf-8-sig' if line_no == 1 else 'utf-8')
    except UnicodeDecodeError as err:
        raise ValueError(
            f'{path}:{line_no}: not UTF-8 (byte 0x{raw[err.start]:02x} at '
            f'column {err.start + 1}); re-save the list as UTF-8') from None


def is_header(fields: List[str]) -> bool:
    """Whether a list row is a header: no field names a file.

    Every sample row names files with an extension (``.jpg``, ``.png``,
    ...), a header such as ``rgb,depth`` names none.

    Args:
        fields (list[str]): The row's fields.

    Returns:
        bool: True for a header row.
    """
    return not any(osp.splitext(field)[1] for field in fields)


def read_json(path: str) -> Any:
    """Load a JSON list file, naming the line of a syntax error.

    Args:
        path (str): The JSON file.

    Returns:
        Any: The parsed document.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If it is not valid JSON (``file:line: ...``).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'list file not found: {path!r}')
    with open(path, encoding='utf-8') as handle:
        try:
            return json.load(handle)
        except json.JSONDecodeError as err:
            raise ValueError(
                f'{path}:{err.lineno}: not valid JSON ({err.msg})') from err
