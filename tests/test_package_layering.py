"""Imports go down only: a package imports packages of lower layers (and a
few named neighbours), never one above it, and never inside a function."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / 'da2zoe'

# The layers of docs/architecture.md, bottom first.
LAYERS = (
    ('registry', 'structures', 'version'),
    ('models', 'datasets', 'evaluation', 'visualization', 'checkpoint'),
    ('engine', 'testing', 'analysis'),
    ('apis', ),
    ('cli', 'webui'),  # the command lines and the browser demo, on apis
)
# Same-layer imports that are part of the design: the depther loads its
# pretrained weights through the checkpoint package ("beside models").
NEIGHBOURS = {('models', 'checkpoint')}
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _imports(path: Path, text: str):
    """``(line, column, 'da2zoe.x.y')`` of every da2zoe import in ``text``,
    the source of ``path``."""
    parts = path.relative_to(PACKAGE).parts
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = list(parts[:-1])[:len(parts) - node.level]
                module = '.'.join(['da2zoe', *base] +
                                  ([node.module] if node.module else []))
            else:
                module = node.module or ''
            names = [module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith('da2zoe.'):
                yield node.lineno, node.col_offset, name


def _package_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0].removesuffix('.py')


FILES = sorted(p for p in PACKAGE.rglob('*.py') if p.name != '__init__.py'
               or p.parent != PACKAGE)


def test_every_package_has_a_layer():
    packages = {_package_of(p) for p in FILES}
    assert packages <= set(RANK), packages - set(RANK)


@pytest.mark.parametrize('path', FILES, ids=lambda p: str(
    p.relative_to(PACKAGE)))
def test_imports_go_down_only(path):
    source = _package_of(path)
    for line, column, module in _imports(path, path.read_text()):
        target = module.split('.')[1]
        assert column == 0, (
            f'{path}:{line}: function-level import of {module}')
        if target == source:
            continue
        allowed = RANK[target] < RANK[source] or (source,
                                                  target) in NEIGHBOURS
        assert allowed, (f'{path}:{line}: {source} (layer {RANK[source]}) '
                         f'imports {module} (layer {RANK[target]})')


def test_the_check_sees_an_upward_import():
    """The parser resolves relative imports and finds absolute ones."""
    source = ('from ..apis import inference\n'
              'def f():\n    import da2zoe.cli.train\n')
    found = list(_imports(PACKAGE / 'models' / 'x.py', source))
    assert found == [(1, 0, 'da2zoe.apis'), (3, 4, 'da2zoe.cli.train')]
