"""Shared test set-up: Playwright with the system Chromium, and the browser-test policy.

On a fresh machine without Chromium the browser tests skip with a one-line reason; CI sets
SERVICECHAIN_REQUIRE_BROWSER=1, under which a missing browser fails the run instead.
"""

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
REQUIRE_BROWSER = os.environ.get("SERVICECHAIN_REQUIRE_BROWSER", "") in ("1", "true", "yes")
ARTIFACTS = Path(os.environ.get("SERVICECHAIN_TEST_OUTPUT") or "test-output").resolve()


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if "e2e" in item.keywords]
    if not browser_items or chromium_available():
        return
    if REQUIRE_BROWSER:
        raise pytest.UsageError(
            f"SERVICECHAIN_REQUIRE_BROWSER is set but Chromium was not found at {CHROMIUM}."
        )
    skip = pytest.mark.skip(
        reason="browser test: Chromium not found; install the Debian package `chromium` to run it"
    )
    for item in browser_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# Hypothesis: the same examples on every run (CI must not flip on a lucky draw), no example
# database written into the checkout.
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("servicechain", derandomize=True, database=None, deadline=None)
hypothesis_settings.load_profile("servicechain")
