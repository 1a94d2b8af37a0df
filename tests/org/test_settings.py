"""Settings come from the environment and fail loudly on values they cannot understand."""

import os
import subprocess
import sys

import pytest

SECRET = "s" * 20 + "-production-secret-key-with-enough-entropy-0123456789"


def run(code: str, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SERVICECHAIN_")}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests, never in production
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_under_production_settings():
    result = run(
        "import sys; from servicechain.cli import main; sys.exit(main(['manage', 'check', '--deploy', '--fail-level', 'WARNING']))",
        SERVICECHAIN_SECRET_KEY=SECRET,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SERVICECHAIN_DEBUG", "maybe", "is not a boolean"),
        ("SERVICECHAIN_MIN_GROUP_SIZE", "2", "below the minimum of 3"),
        ("SERVICECHAIN_MIN_GROUP_SIZE", "five", "is not an integer"),
        ("DATABASE_URL", "nosuchdb://x", "DATABASE_URL"),
        ("SERVICECHAIN_TRUSTED_PROXIES", "10.0.0.1, proxy.local", "SERVICECHAIN_TRUSTED_PROXIES"),
        ("SERVICECHAIN_SURVEY_LINK_RATE", "-1", "below the minimum of 0"),
    ],
)
def test_bad_environment_values_stop_start_up_with_the_variable_named(variable, value, message):
    result = run(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='servicechain.settings'; django.setup()",
        SERVICECHAIN_SECRET_KEY=SECRET,
        **{variable: value},
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_production_without_a_secret_key_refuses_to_start():
    result = run(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='servicechain.settings'; django.setup()"
    )
    assert result.returncode != 0 and "SERVICECHAIN_SECRET_KEY must be set" in result.stderr


SETUP_AND_PRINT_EMAIL_BACKEND = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='servicechain.settings'; "
    "django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)"
)


@pytest.mark.parametrize("kind", ["console", "locmem", "filebased"])
def test_production_refuses_an_email_backend_that_writes_links_into_logs(kind):
    result = run(
        SETUP_AND_PRINT_EMAIL_BACKEND,
        SERVICECHAIN_SECRET_KEY=SECRET,
        EMAIL_BACKEND=f"django.core.mail.backends.{kind}.EmailBackend",
    )
    assert result.returncode != 0
    assert "SERVICECHAIN_ALLOW_CONSOLE_EMAIL=1" in result.stderr.strip().splitlines()[-1]


def test_an_explicit_allowance_lets_production_print_emails():
    result = run(
        SETUP_AND_PRINT_EMAIL_BACKEND,
        SERVICECHAIN_SECRET_KEY=SECRET,
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        SERVICECHAIN_ALLOW_CONSOLE_EMAIL="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend"


def test_production_sends_email_by_smtp_unless_told_otherwise():
    result = run(SETUP_AND_PRINT_EMAIL_BACKEND, SERVICECHAIN_SECRET_KEY=SECRET)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend"


def test_the_demo_keeps_printing_its_emails(tmp_path):
    result = run(
        "from pathlib import Path; from servicechain.cli import _demo_environment; "
        f"_demo_environment(Path({str(tmp_path / 'demo.sqlite3')!r})); "
        + SETUP_AND_PRINT_EMAIL_BACKEND
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend"
