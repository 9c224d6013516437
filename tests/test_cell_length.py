"Notebooks a learner can follow: no code cell in a lesson notebook (nbs/11..16) is over 30 lines."
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / 'nbs').glob('1[1-6]_*.ipynb'))
MAX_LINES = 30

def code_cells(path):
    "(position in the cells list, source lines) of each code cell."
    cells = json.loads(path.read_text())['cells']
    return [(i, ''.join(c['source']).splitlines()) for i, c in enumerate(cells) if c['cell_type'] == 'code']


def first_statement(lines):
    return next((l for l in lines if not l.startswith(('#|', '@'))), '')


def long_cells(paths):
    "'notebook cell N (L lines): first statement' for each code cell over the limit."
    return [f"{p.name} cell {i} ({len(ls)} lines): {first_statement(ls)[:60]!r}" for p in paths
            for i, ls in code_cells(p) if len(ls) > MAX_LINES]


def test_lesson_code_cells_are_at_most_30_lines():
    too_long = long_cells(LESSONS)
    assert not too_long, f"split these at natural steps into cells of at most {MAX_LINES} lines: {too_long}"


def test_the_check_names_a_long_cell(tmp_path):
    "The limit bites: a 31-line cell is named with its notebook and position; a 30-line one passes."
    cell = lambda n, first='x = 1': {'cell_type': 'code', 'source': [first + '\n'] + ['x = 1\n'] * (n - 2) + ['x = 1']}
    nb = {'cells': [{'cell_type': 'markdown', 'source': ['# x']}, cell(30), cell(31), cell(31, 'METHODS = 1')]}
    (tmp_path / '99_x.ipynb').write_text(json.dumps(nb))
    assert long_cells([tmp_path / '99_x.ipynb']) == ["99_x.ipynb cell 2 (31 lines): 'x = 1'", "99_x.ipynb cell 3 (31 lines): 'METHODS = 1'"]
