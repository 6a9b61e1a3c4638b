"""A batch worker's garbage collector: start-up objects frozen, the youngest generation collected
by the thousands of allocations, not by Python's default 700."""

import gc

import pytest

from shared.processes import ALLOCATIONS_PER_COLLECTION, collect_garbage_by_batches


@pytest.fixture
def collector():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_a_batch_worker_freezes_what_it_started_with_and_collects_less_often(collector):
    assert gc.get_threshold()[0] < ALLOCATIONS_PER_COLLECTION
    started_with = {"a start-up object": []}
    assert any(started_with is tracked for tracked in gc.get_objects())
    collect_garbage_by_batches()
    assert gc.get_threshold()[0] == ALLOCATIONS_PER_COLLECTION
    assert gc.get_freeze_count() > 0
    assert not any(started_with is tracked for tracked in gc.get_objects())  # frozen: in no generation
