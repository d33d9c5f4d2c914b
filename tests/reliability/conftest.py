from tests.servicetitan.conftest import company, credential  # noqa: F401  (shared fixtures)
