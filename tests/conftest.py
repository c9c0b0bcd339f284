"""Say in one line which tests could not run on this machine, and why."""
import shutil


def pytest_terminal_summary(terminalreporter):
    if shutil.which("bwrap") is None:
        terminalreporter.write_line(
            "NOT RUN: the sandbox tests (tests/test_sandbox.py, tests/test_hostile.py) need bubblewrap "
            "(bwrap), which is not installed: apt-get install -y bubblewrap")
