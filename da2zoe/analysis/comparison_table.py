"""The multi-model comparison table: best per column, text and Markdown.

A metric's direction is :func:`da2zoe.evaluation.metric_direction.direction`
(errors lower, accuracies higher); a column of unknown direction is shown
without a mark.
"""
from typing import Dict, List, Mapping, Optional, Sequence

from da2zoe.evaluation.metric_direction import direction
from da2zoe.evaluation.table import format_table

Results = Mapping[str, Mapping[str, float]]


def metric_columns(results: Results) -> List[str]:
    """Every metric key of any model, in first-seen order."""
    columns: List[str] = []
    for values in results.values():
        columns += [key for key in values if key not in columns]
    return columns


def best_per_column(results: Results) -> Dict[str, List[str]]:
    """The model(s) with the best value of each column of known direction.

    Ties all count as best; a model without the column takes no part.

    Args:
        results (Mapping): Model name -> metric -> value.

    Returns:
        dict[str, list[str]]: Column -> names of its best models.
    """
    best = {}
    for column in metric_columns(results):
        way = direction(column)
        scores = {name: values[column] for name, values in results.items()
                  if column in values}
        if way is None or not scores:
            continue
        target = (min if way == 'lower' else max)(scores.values())
        best[column] = [name for name, value in scores.items()
                        if value == target]
    return best


def _cell(value: Optional[float], marked: bool, bold: bool) -> str:
    if value is None:
        return '-'
    text = f'{value:.4f}'
    if marked:
        text = f'**{text}**' if bold else f'{text}*'
    return text


def _header(column: str) -> str:
    way = direction(column)
    return column + {'lower': ' ↓', 'higher': ' ↑', None: ''}[way]


def _rows(results: Results, columns: Sequence[str], bold: bool) -> list:
    best = best_per_column(results)
    return [[name] + [
        _cell(values.get(column), name in best.get(column, ()), bold)
        for column in columns
    ] for name, values in results.items()]


def text_table(results: Results) -> str:
    """The table for the terminal; the best value of a column has ``*``.

    Args:
        results (Mapping): Model name -> metric -> value.
    """
    columns = metric_columns(results)
    table = format_table(['model'] + [_header(c) for c in columns],
                         _rows(results, columns, bold=False))
    return table + '\n' + legend('*')


def markdown_table(results: Results) -> str:
    """The same table as GitHub Markdown; the best values in bold.

    Args:
        results (Mapping): Model name -> metric -> value.
    """
    columns = metric_columns(results)
    lines = ['| model | ' + ' | '.join(_header(c) for c in columns) + ' |',
             '|---|' + '---:|' * len(columns)]
    lines += ['| ' + ' | '.join(row) + ' |'
              for row in _rows(results, columns, bold=True)]
    return '\n'.join(lines) + '\n\n' + legend('bold') + '\n'


def legend(mark: str) -> str:
    """One line saying what the marks and arrows mean."""
    return (f'{mark}: best of the column; ↓ lower is better, ↑ higher is '
            'better')
