"""Every da2zoe hook lives in da2zoe.engine.hooks and is found by name."""
import subprocess
import sys
import textwrap

_FRESH = textwrap.dedent('''
    from da2zoe.registry import HOOKS
    names = sys.argv[1:]
    # HOOKS imports its location (da2zoe.engine) on the first look-up.
    found = {name: HOOKS.get(name) for name in names}
    missing = [name for name, cls in found.items() if cls is None]
    assert not missing, missing
    print(sorted({cls.__module__ for cls in found.values()}))
''')


def test_every_hook_is_in_engine_hooks_and_found_by_name():
    import da2zoe.apis  # noqa: F401  (everything that could register one)
    import da2zoe.datasets  # noqa: F401
    import da2zoe.engine  # noqa: F401
    import da2zoe.models  # noqa: F401
    import da2zoe.visualization  # noqa: F401
    from da2zoe.registry import HOOKS
    ours = dict(HOOKS.module_dict)
    assert {'DepthCheckpointHook', 'DepthVisualizationHook',
            'SkippedSamplesHook'} <= set(ours)
    outside = {name: cls.__module__ for name, cls in ours.items()
               if not cls.__module__.startswith('da2zoe.engine.hooks.')}
    assert outside == {}
    out = subprocess.run(
        [sys.executable, '-c', 'import sys\n' + _FRESH, *sorted(ours)],
        capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
