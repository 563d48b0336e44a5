from tests.api.conftest import api, tokens  # noqa: F401  the API client fixtures
