from tests.servicetitan.conftest import company, credential, tenant  # noqa: F401  (shared fixtures)
