import pytest

from tests.conftest import make_user


@pytest.fixture
async def staff(db):
    return await make_user("staff")
