"The shared training loop: learns, reports history, handles both batch kinds, rejects bad input."
import pytest
import torch

from finetune_lessons.core import LessonError, set_seed
from finetune_lessons.train import evaluate, fit, tensor_loader


def _toy(n=200):
    set_seed(0)
    X = torch.randn(n, 2)
    return X, (X[:, 0] + X[:, 1] > 0).long()


def test_fit_learns_a_linear_rule():
    X, y = _toy()
    dl = tensor_loader(X, y, batch_size=32, shuffle=True)
    model = torch.nn.Linear(2, 2)
    hist = fit(model, dl, epochs=15, lr=0.05, valid_dl=dl, progress=False)
    assert len(hist) == 15 and hist.last['valid_acc'] > 0.95
    assert evaluate(model, dl)['acc'] == pytest.approx(hist.last['valid_acc'])


def test_fit_only_moves_trainable_parameters():
    X, y = _toy()
    model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    model[0].requires_grad_(False)
    before = model[0].weight.clone()
    fit(model, tensor_loader(X, y, 50), epochs=2, progress=False)
    assert torch.equal(model[0].weight, before)


def test_shuffled_loader_repeats_with_seed():
    X, y = _toy(20)
    a = [b[1].tolist() for b in tensor_loader(X, y, 5, shuffle=True, seed=1)]
    assert a == [b[1].tolist() for b in tensor_loader(X, y, 5, shuffle=True, seed=1)]


def test_bad_inputs():
    X, y = _toy(10)
    with pytest.raises(LessonError, match='must match'): tensor_loader(X, y[:5])
    with pytest.raises(LessonError, match='no trainable'): fit(torch.nn.Linear(2, 2).requires_grad_(False), tensor_loader(X, y))


def test_mixed_precision_choice_with_capability_mocked(monkeypatch):
    "fp16 on a T4 (7.5), never bf16 there; bf16 from Ampere (8.0) on; fp32 on the CPU."
    from finetune_lessons.train import mixed_precision_for, make_accelerator
    import finetune_lessons.train as train
    for capability, expected in (((7, 5), 'fp16'), ((7, 0), 'fp16'), ((8, 0), 'bf16'), ((8, 9), 'bf16'), ((9, 0), 'bf16')):
        monkeypatch.setattr(torch.cuda, 'get_device_capability', lambda device=None, c=capability: c)
        monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda *a, **k: True)  # what a T4 can answer; must not matter
        assert mixed_precision_for('cuda') == expected
    assert mixed_precision_for('cpu') == 'no'
    monkeypatch.setattr(train, 'mixed_precision_for', lambda device=None, cpu_bf16=False: 'bf16')
    assert make_accelerator('auto').mixed_precision == 'bf16'  # 'auto' goes through the choice
    assert make_accelerator('no').mixed_precision == 'no'


def _bar_in_a_kernel(block_widgets: bool) -> str:
    "Run fit with a progress bar in a fresh Jupyter kernel; returns which tqdm tqdm.auto chose, then the cell's text."
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        ("import sys; sys.modules['ipywidgets'] = None  # as if ipywidgets were not installed\n" if block_widgets else '') +
        "import warnings; warnings.simplefilter('ignore')\n"
        "import torch\n"
        "import finetune_lessons.train as train\n"
        "from tqdm.notebook import tqdm_notebook\n"
        "print('widget' if issubclass(train.tqdm, tqdm_notebook) else 'text')  # what tqdm.auto chose\n"
        "X = torch.randn(32, 4); y = (X[:, 0] > 0).long()\n"
        "h = train.fit(torch.nn.Linear(4, 2), train.tensor_loader(X, y, 8), epochs=2, progress=True)\n"
        "print('trained', len(h))")])
    NotebookClient(nb, timeout=120, kernel_name='python3').execute()
    return ''.join(o.get('text', '') for o in nb.cells[0].outputs if o.get('output_type') == 'stream')


def test_progress_bars_fall_back_to_text_without_widgets():
    "In a Jupyter kernel without ipywidgets, fit's bar is tqdm's text bar, not an error; with them, a widget."
    out = _bar_in_a_kernel(block_widgets=True)
    assert out.split()[0] == 'text' and '0/8' in out and 'trained 2' in out, out  # text bar; training ran
    assert _bar_in_a_kernel(block_widgets=False).split()[0] == 'widget'  # the control: widgets when they are there


def test_amp_tools_follow_the_same_choice_with_capability_mocked(monkeypatch):
    "A hand-written loop (pretrain_mlm) gets fp16 autocast on a T4 and bf16 from Ampere on, like fit; fp32 on the CPU."
    import warnings
    from finetune_lessons.train import amp_tools
    for capability, dtype in (((7, 5), torch.float16), ((8, 0), torch.bfloat16)):
        monkeypatch.setattr(torch.cuda, 'get_device_capability', lambda device=None, c=capability: c)
        with warnings.catch_warnings():  # no CUDA here: torch warns that it disables them, but the choice is what counts
            warnings.simplefilter('ignore')
            autocast, _ = amp_tools(torch.device('cuda'))
            assert autocast().fast_dtype == dtype
    autocast, scaler = amp_tools(torch.device('cpu'))
    assert not scaler.is_enabled() and not autocast()._enabled  # the CPU trains in fp32: both pass through


def test_cpu_stays_fp32_by_default_even_with_native_bf16(monkeypatch):
    "bf16 on a CPU is an opt-in (`cpu_bf16=True`) and only where the CPU has it natively; every default stays fp32."
    import finetune_lessons.train as train
    for native in (True, False):
        monkeypatch.setattr(train, 'cpu_has_bf16', lambda native=native: native)
        assert train.mixed_precision_for('cpu') == 'no' and train.resolve_precision('auto', 'cpu') == 'no'
        assert not train.amp_tools(torch.device('cpu'))[0]()._enabled
        assert train.mixed_precision_for('cpu', cpu_bf16=True) == ('bf16' if native else 'no')
        assert train.amp_tools(torch.device('cpu'), cpu_bf16=True)[0]()._enabled == native
    monkeypatch.undo()
    assert isinstance(train.cpu_has_bf16(), bool)  # the real check answers yes or no, never raises
