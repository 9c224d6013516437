"Every exported function and class has a docstring and a docment (`# comment`) for each parameter; the API pages show them."
from finetune_lessons.cli import api_members, api_modules, api_reference, doc_gaps

MODULES = api_modules()


def _gaps() -> dict[str, list[str]]:
    return {f'{m}.{n}': g for m, mod in MODULES.items() for n, obj, kind in api_members(mod) if (g := doc_gaps(obj, kind))}


def test_every_exported_name_is_documented():
    gaps = _gaps()
    assert not gaps, f"document these (a docstring, and a `# comment` beside each parameter): {gaps}"


def test_doc_gaps_finds_what_is_missing():
    class Thing:
        "A class."
        def __init__(self, a, b=1): pass
        def run(self, x): return x
        @property
        def size(self): return 1
    def documented(
        x: int,    # a number
        *args,     # exempt
        **kwargs,  # exempt
    ) -> int:
        "Docstring."
        return x
    assert doc_gaps(Thing, 'class') == ['a', 'b']
    assert doc_gaps(Thing.run, 'method') == ['docstring', 'x']  # self is exempt
    assert doc_gaps(Thing.size.fget, 'property') == ['docstring']
    assert doc_gaps(documented) == []


def test_every_module_has_a_page_with_every_member(tmp_path):
    index = api_reference(tmp_path)
    assert index == tmp_path / 'api' / 'index.html'
    for m, mod in MODULES.items():
        assert f'href="{m}.html"' in index.read_text()
        page = (tmp_path / 'api' / f'{m}.html').read_text()
        for n, _, _ in api_members(mod): assert f'id="{n}"' in page, (m, n)
    page = (tmp_path / 'api' / 'features.html').read_text()
    assert 'href="../12_cnn_features.html"' in page and '<td>inverse strength of the logistic regression' in page
