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
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'list file not found: {path!r}')
    with open(path, encoding='utf-8-sig') as handle:
        for line_no, line in enumerate(handle, start=1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            yield line_no, [field.strip() for field in line.split(sep)]


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
