"""Installs the da2zoe package (``pip install -e .``)."""
import os.path as osp

from setuptools import find_packages, setup


def read_requirements(path: str) -> list:
    """Reads a requirements file, skipping comments and ``-r`` includes."""
    with open(osp.join(osp.dirname(__file__), path)) as f:
        lines = [ln.split('#')[0].strip() for ln in f]
    return [ln for ln in lines if ln and not ln.startswith('-')]


def read_version() -> str:
    namespace = {}
    with open(osp.join(osp.dirname(__file__), 'da2zoe', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='da2zoe',
    version=read_version(),
    description='Metric monocular depth: DINOv2 / Depth Anything V2 encoder '
    'with a ZoeDepth metric-bins head, MMEngine style.',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    python_requires='>=3.10',
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require={'tests': read_requirements('requirements/tests.txt')},
    license='Apache-2.0',
)
