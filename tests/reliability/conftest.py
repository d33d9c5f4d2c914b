from tests.servicetitan.conftest import company, credential, tenant  # noqa: F401  (shared fixtures)
from tests.business.conftest import tx  # noqa: F401  (a rolled-back transaction)
