import pytest

from tests.support.harness import Harness


@pytest.fixture
async def h(tmp_path):
    harness = await Harness(tmp_path / "data").start()
    yield harness
    await harness.stop()
