"""A pytest plugin (``-p tests.testing_env`` in pyproject's addopts) that puts
the suite in test mode explicitly: ``RATEPAYER_TESTING=1``, set before
pytest-django loads the settings. Settings never guess test mode from what is
imported."""

import os

os.environ.setdefault("RATEPAYER_TESTING", "1")
