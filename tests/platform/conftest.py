from tests.servicetitan.conftest import company, credential, tenant  # noqa: F401  (shared fixtures)


def pytest_terminal_summary(terminalreporter):
    from tests.platform.test_replicas import LAG_FIGURES

    if LAG_FIGURES:
        terminalreporter.section("replica lag seen")
        for name, seconds in LAG_FIGURES.items():
            terminalreporter.write_line(f"{name}: {seconds * 1000:.1f} ms")
