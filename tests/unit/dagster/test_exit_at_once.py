"""`python -m testbots_dagster` ends without the interpreter's teardown (`_exit_at_once`): its
exit status is the one `sys.exit` was given, and what it printed reaches a pipe all the same."""

import subprocess
import sys

import pytest

_EXIT = (
    "import logging, sys\n"
    "from testbots_dagster.__main__ import _exit_at_once\n"
    "logging.basicConfig(stream=sys.stderr, level=logging.INFO)\n"
    "print('verdict line')\n"
    "logging.getLogger('testbots').info('log line')\n"
    "_exit_at_once({code})\n"
    "print('never printed')\n"
)


@pytest.mark.parametrize(("code", "status"), [("None", 0), ("4", 4)])
def test_the_status_and_the_output_survive(code: str, status: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _EXIT.format(code=code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == status, done.stderr
    assert done.stdout == "verdict line\n"  # block-buffered into a pipe, flushed before exit
    assert "log line" in done.stderr


def test_a_message_goes_to_stderr_with_status_1() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _EXIT.format(code="'testbots: stopped'")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.endswith("testbots: stopped\n")
