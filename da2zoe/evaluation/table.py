"""Plain-text tables for evaluation logs."""
from typing import List, Sequence


def format_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    """Left-aligned, column-padded text table.

    Args:
        header (Sequence[str]): Column titles.
        rows (Sequence[Sequence]): Cells; floats are shown with 4 decimals.

    Returns:
        str: The table, one line per row, header underlined.
    """
    cells: List[List[str]] = [list(map(str, header))]
    for row in rows:
        cells.append(
            [f'{v:.4f}' if isinstance(v, float) else str(v) for v in row])
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [
        ' | '.join(c.ljust(w) for c, w in zip(r, widths)) for r in cells
    ]
    lines.insert(1, '-+-'.join('-' * w for w in widths))
    return '\n'.join(lines)
