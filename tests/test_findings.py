"Full-profile findings: asserted only with a basis named beside them; everything else printed (issue: no assert real weights can break by accident)."
import json, re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / 'nbs').glob('1[1-6]_*.ipynb'))
GATES = ('check_claims', 'check_ref', 'check_ours')


def _code_cells(path):
    return [''.join(c['source']) for c in json.loads(path.read_text())['cells'] if c['cell_type'] == 'code']


def test_findings_go_through_check_findings_not_bare_asserts():
    "A bare `if check_claims: assert ...` stops 'Run all' on Colab at the first miss without printing the others."
    bad = [f"{p.name}: {line.strip()}" for p in LESSONS for cell in _code_cells(p) for line in cell.splitlines()
           if re.match(rf"\s*if ({'|'.join(GATES)})\b", line)]
    assert not bad, bad


def test_every_finding_asserted_in_the_full_profile_names_its_basis():
    "A check_findings call asserted beyond the tiny profile needs a 'basis' comment in it or in the lines just above it."
    unexplained = []
    for p in LESSONS:
        for cell in _code_cells(p):
            start = 0
            for call in re.finditer(r'check_findings\((.*?)assert_them=([^)\n]+)\)', cell, flags=re.S):
                gate = call.group(2).strip()
                assert gate in GATES or gate in {f'{g} and profile.tiny' for g in GATES} or gate == 'profile.tiny', (p.name, gate)
                above = '\n'.join(cell[start:call.start()].splitlines()[-4:])  # the comment lines right above the call
                if gate in GATES and 'basis' not in (above + call.group(0)).lower():
                    unexplained.append(f"{p.name}: {call.group(0)[:80]}")
                start = call.end()
    assert not unexplained, unexplained


def test_no_bare_assert_on_a_measured_number_in_the_full_profile():
    "Bare asserts in lessons check structure (shapes, counts, parity of code), never a measured accuracy or timing."
    measured = re.compile(r"^\s*assert .*(\['acc'\]|accuracy|speedup|seconds|\bppl\b|perplexity|gain)", re.M)
    bad = [f"{p.name}: {m.group(0).strip()[:80]}" for p in LESSONS for cell in _code_cells(p) for m in measured.finditer(cell)]
    assert not bad, bad


def test_the_full_profile_asserts_something_with_a_basis():
    "The rule is not an excuse to assert nothing: each lesson with findings keeps at least one asserted in full."
    for name in ('13_freeze_vs_finetune', '14_masked_lm', '15_peft'):
        cells = _code_cells(ROOT / 'nbs' / f'{name}.ipynb')
        assert any(re.search(rf'assert_them=({"|".join(GATES)})\)', c) for c in cells), name
