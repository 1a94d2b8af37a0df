"""Settings for the test suite: the production settings with test switches on."""

import os

os.environ.setdefault("SERVICECHAIN_TESTING", "1")
os.environ.setdefault("SERVICECHAIN_HTTPS", "0")

from servicechain.settings import *  # noqa: E402,F403
