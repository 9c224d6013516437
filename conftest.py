"""pytest setup shared by tests/ and the nbval run over nbs/."""
import os

# Two cores, two pytest workers: one torch thread each avoids oversubscription (40x slowdowns measured).
os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('MKL_NUM_THREADS', '1')


def pytest_collection_modifyitems(items):
    "nbdev_clean blanks execution counts but keeps outputs; nbval then calls such cells 'unrun'. Give them a count."
    for item in items:
        cell = getattr(item, 'cell', None)
        if cell is not None and cell.get('outputs') and cell.get('execution_count') is None:
            cell['execution_count'] = 1
