"""adapt_to_cpu_load: passive, fewer OpenMP threads on a busy machine."""
import os

from da2zoe.cli.cpu_load import (
    adapt_to_cpu_load,
    other_runnable,
    threads_for_load,
)


def test_threads_for_load_idle_and_busy():
    assert threads_for_load(2, 0) == (2, False)
    assert threads_for_load(2, 1) == (2, False)  # one other: not busy yet
    assert threads_for_load(2, 2) == (1, True)
    assert threads_for_load(16, 10) == (6, True)
    assert threads_for_load(2, 9) == (1, True)
    assert threads_for_load(16, 10, requested=4) == (4, True)
    assert threads_for_load(16, 0, requested=4) == (4, False)


def test_adapt_sets_passive_and_threads_when_busy():
    cpus = len(os.sched_getaffinity(0))
    env = {}
    note = adapt_to_cpu_load(environ=env, others=cpus + 2)
    assert env == {'OMP_WAIT_POLICY': 'PASSIVE', 'OMP_NUM_THREADS': '1'}
    assert 'CPU busy' in note and 'OMP_WAIT_POLICY=PASSIVE' in note
    assert 'DA2ZOE_ADAPT_THREADS=0' in note


def test_adapt_leaves_idle_machine_and_user_choices():
    cpus = len(os.sched_getaffinity(0))
    env = {}
    assert adapt_to_cpu_load(environ=env, others=0) is None and env == {}
    env = {'OMP_WAIT_POLICY': 'ACTIVE', 'OMP_NUM_THREADS': '2'}
    assert adapt_to_cpu_load(environ=env, others=cpus + 2) is None
    assert env == {'OMP_WAIT_POLICY': 'ACTIVE', 'OMP_NUM_THREADS': '2'}
    env = {'DA2ZOE_ADAPT_THREADS': '0'}
    assert adapt_to_cpu_load(environ=env, others=cpus + 2) is None
    assert env == {'DA2ZOE_ADAPT_THREADS': '0'}


def test_other_runnable_reads_proc():
    assert other_runnable(samples=3, interval=0.0) >= 0.0
