"""da2zoe.analysis.cpu: CPU detection and the one bf16 policy."""
import torch

from da2zoe.analysis import cpu

AVX2 = cpu.CpuInfo('Old Xeon', 'AVX2', frozenset({'avx2'}))
AVX512_BF16 = cpu.CpuInfo('New Xeon', 'AVX512',
                          frozenset({'avx2', 'avx512f', 'avx512_bf16'}))
AMX = cpu.CpuInfo('Sapphire', 'AVX512',
                  frozenset({'avx2', 'amx_bf16', 'amx_tile'}))


def test_native_bf16_needs_avx512_bf16_or_amx():
    assert not AVX2.native_bf16
    assert AVX512_BF16.native_bf16 and AMX.native_bf16


def test_describe_names_model_kernels_flags_and_verdict():
    assert AVX2.describe() == 'Old Xeon (torch AVX2; avx2; no native bf16)'
    assert AVX512_BF16.describe().endswith(
        '(torch AVX512; avx2 avx512f avx512_bf16; native bf16)')


def test_an_emulated_avx2_machine_says_so(monkeypatch):
    # ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 on an AVX512 CPU: the
    # figures are AVX2 kernels' and the record must say so.
    monkeypatch.setenv('ONEDNN_MAX_CPU_ISA', 'avx2')
    cpu.cpu_info.cache_clear()
    try:
        info = cpu.cpu_info()
    finally:
        cpu.cpu_info.cache_clear()
    assert info.onednn_max_isa == 'AVX2'
    assert f'(torch {info.capability}; oneDNN <= AVX2; ' in info.describe()


def test_this_machine_is_detected_once_and_agrees_with_torch():
    info = cpu.cpu_info()
    assert info is cpu.cpu_info()  # cached: detected once per process
    assert info.capability == torch.backends.cpu.get_cpu_capability()
    assert info.flags <= set(cpu.REPORTED_FLAGS)
    if torch.cpu._is_avx512_bf16_supported():
        assert info.native_bf16


def test_choose_bf16_falls_back_on_avx2_unless_forced():
    use, message = cpu.choose_bf16('--bf16', 'cpu', info=AVX2)
    assert use is False
    assert message.startswith('--bf16 ignored, running in float32')
    assert 'Old Xeon' in message and '--force' in message
    use, message = cpu.choose_bf16('--bf16', 'cpu', force=True,
                                   force_hint='--force-bf16', info=AVX2)
    assert use is True and message.startswith('--bf16 forced')


def test_choose_bf16_is_silent_where_bf16_is_native_or_on_a_gpu():
    assert cpu.choose_bf16('--amp', 'cpu', info=AMX) == (True, None)
    assert cpu.choose_bf16('--amp', 'cuda:0', info=AVX2) == (True, None)


def test_proc_cpuinfo_parser(monkeypatch, tmp_path):
    text = ('processor\t: 0\nmodel name\t: Test CPU\n'
            'flags\t\t: fpu avx2 avx512_bf16\n\nprocessor\t: 1\n'
            'model name\t: Other\nflags\t\t: fpu\n')
    fake = tmp_path / 'cpuinfo'
    fake.write_text(text)
    real_open = open
    monkeypatch.setattr(
        'builtins.open', lambda path, *a, **k: real_open(
            fake if path == '/proc/cpuinfo' else path, *a, **k))
    model, flags = cpu._proc_cpuinfo()
    assert model == 'Test CPU'
    assert flags == {'fpu', 'avx2', 'avx512_bf16'}
