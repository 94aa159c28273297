"""storygen.parallel: work spread over forked processes gives what one process gives."""
from __future__ import annotations

import os
import threading

import pytest

from storygen.parallel import split_shared


@pytest.fixture(autouse=True)
def _single_thread():
    if threading.active_count() > 1:
        pytest.skip("another thread is running in this test process: nothing is forked")


def _pid_and_sum(shared: int, chunk: list[int]) -> tuple[int, int]:
    return os.getpid(), shared + sum(chunk)


def test_split_shared_runs_the_first_chunk_here_and_the_rest_in_children():
    results = split_shared(_pid_and_sum, 100, [[1, 2], [3, 4], [5]])
    assert [total for _pid, total in results] == [103, 107, 105]
    pids = [pid for pid, _total in results]
    assert pids[0] == os.getpid()
    assert os.getpid() not in pids[1:] and len(set(pids)) == 3


def _fails_away_from_home(home: int, chunk: list[int]) -> int:
    if os.getpid() != home:
        raise RuntimeError("only in a child")
    return sum(chunk)


def test_a_chunk_whose_child_fails_is_done_again_here():
    assert split_shared(_fails_away_from_home, os.getpid(), [[1], [2, 3]]) == [1, 5]


def _dies_away_from_home(home: int, chunk: list[int]) -> int:
    if os.getpid() != home:
        os._exit(3)              # killed, no answer on the pipe
    return sum(chunk)


def test_a_chunk_whose_child_dies_is_done_again_here():
    assert split_shared(_dies_away_from_home, os.getpid(), [[1], [2, 3]]) == [1, 5]


def _bad_input(_shared, chunk: list[int]) -> int:
    if 0 in chunk:
        raise ValueError("chunk holds a zero")
    return len(chunk)


def test_an_error_is_raised_here_with_its_message():
    with pytest.raises(ValueError, match="chunk holds a zero"):
        split_shared(_bad_input, None, [[1], [0, 2]])
