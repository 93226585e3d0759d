"""The comparison table: the best-per-column mark, text and Markdown."""
from da2zoe.analysis.comparison_table import (
    best_per_column,
    markdown_table,
    text_table,
)

RESULTS = {
    'a': dict(d1=0.9, abs_rel=0.20, rmse=1.0, silog=12.0, images=5.0),
    'b': dict(d1=0.8, abs_rel=0.10, rmse=1.0, silog=15.0, images=5.0),
    'c': dict(d1=0.7, abs_rel=0.30, rmse=2.0),
}


def test_best_is_max_for_accuracies_min_for_errors_ties_shared():
    best = best_per_column(RESULTS)
    assert best == dict(d1=['a'], abs_rel=['b'], rmse=['a', 'b'],
                        silog=['a'])  # 'images' has no direction


def test_text_and_markdown_mark_exactly_the_best_cells():
    lines = text_table(RESULTS).splitlines()
    row = {line.split()[0]: line for line in lines[2:5]}
    assert '0.9000*' in row['a'] and '0.8000*' not in row['b']
    assert '0.1000*' in row['b'] and '0.2000*' not in row['a']
    assert row['a'].count('*') == 3 and row['c'].count('*') == 0
    assert 'abs_rel ↓' in lines[0] and 'd1 ↑' in lines[0]
    md = markdown_table(RESULTS).splitlines()
    assert md[0].startswith('| model | d1 ↑ | abs_rel ↓')
    assert md[3] == ('| b | 0.8000 | **0.1000** | **1.0000** | 15.0000 | '
                     '5.0000 |')
    assert md[4] == '| c | 0.7000 | 0.3000 | 2.0000 | - | - |'
