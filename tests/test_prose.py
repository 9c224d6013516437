"""Markdown in the lessons holds concepts and literature, never this run's numbers: those are printed by code from the run.

A sentence in a lesson's markdown cell fails here when it states a number that looks measured (a decimal such as 0.44, a
percentage, a multiple such as 12×, a time in seconds or minutes) and names no source (an author-year citation, et al.,
arXiv). Numbers inside `code`, $maths$ and links are not prose. Configuration facts (a 224 px input, r = 8) are integers
and pass, as do model sizes (4.7 M parameters) and shapes (3×3); a setting that is a decimal belongs in `code`
(`momentum=0.1`); a literature number passes with its source in the same sentence.
"""
import json
import re
from pathlib import Path

import pytest

LESSONS = sorted(Path(__file__).parents[1].glob('nbs/1[1-9]_*.ipynb'))
MEASURED = re.compile(r'(?<![\w.])[-+±]?\d+\.\d+(?!\w|\.\d|\s?[MBk]\b)|\d+(?:\.\d+)?\s?%|\d+(?:\.\d+)?\s?×(?!\s?\d)|\b\d+(?:\.\d+)?\s?(?:s|seconds?|min|minutes)\b')
SOURCE = re.compile(r'\b(?:1[89]|20)\d\d[a-z]?\b|et al\.?|arXiv|\bpaper\b|\bcourse\b.*\bchapter\b', re.I)
NOT_PROSE = re.compile(r'`[^`]*`|\$[^$]*\$|\]\([^)]*\)|https?://\S+|<[^>]+>')

def sentences(text: str):
    "Sentences and list items of a markdown cell, without code, maths and link targets."
    text = re.sub(r'```.*?```', ' ', text, flags=re.S)
    for block in re.split(r'\n\s*\n|\n\s*[-*] |\n\s*\d+\. |\n#+ ', text):
        yield from re.split(r'(?<=[.!?])\s+(?=[A-Z(*])', NOT_PROSE.sub(' ', block.replace('\n', ' ')))

def measured_sentences(nb_path: Path) -> list[str]:
    cells = json.loads(nb_path.read_text())['cells']
    return [f"cell {i}: {s.strip()[:160]}" for i, c in enumerate(cells) if c['cell_type'] == 'markdown'
            for s in sentences(''.join(c['source'])) if MEASURED.search(s) and not SOURCE.search(s)]

@pytest.mark.parametrize('nb', LESSONS, ids=[p.stem for p in LESSONS])
def test_markdown_states_no_measured_number(nb):
    bad = measured_sentences(nb)
    assert not bad, "markdown states numbers without a source (print them from the run instead):\n" + '\n'.join(bad)

def test_the_check_can_fail():
    flagged = lambda text: [s for s in sentences(text) if MEASURED.search(s) and not SOURCE.search(s)]
    assert flagged('Full fine-tuning wins by 0.44 here.') and flagged('It took 12 s.') and flagged('LoRA saves 97 %.')
    assert not flagged('BERT masks 15 % of tokens (Devlin et al. 2019).') and not flagged('Use `lr=2e-5` and r = 8.')
    assert not flagged('Inputs are 224 px; the head has 10 classes.') and not flagged('A 4.7 M-parameter CNN with 3×3 filters.')
    assert flagged('LoRA trains 12× fewer weights.') and flagged('Accuracy rose to 0.9.')
