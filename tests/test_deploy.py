"""The container files: docker-compose validates, the image runs as a non-root user."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from core.settings import setting_variables

ROOT = Path(__file__).parent.parent


def compose(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("docker-compose") is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is missing: scripts/test installs Debian's package")
        pytest.skip("docker-compose (Debian's package) is not installed")
    return subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def test_compose_file_is_valid_and_has_every_service() -> None:
    result = compose("config", "--services", CAREEROPS_JWT_SECRET="s" * 40)
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"postgres", "rabbitmq", "migrate", "api", "worker"}


def test_compose_refuses_to_run_without_a_jwt_secret() -> None:
    result = compose("config", "-q", CAREEROPS_JWT_SECRET="")
    assert result.returncode != 0
    assert "CAREEROPS_JWT_SECRET" in result.stderr


def test_api_and_worker_wait_for_migrations_and_can_scale() -> None:
    result = compose("config", CAREEROPS_JWT_SECRET="s" * 40)
    assert result.returncode == 0, result.stderr
    rendered = result.stdout
    assert rendered.count("condition: service_completed_successfully") == 2
    assert rendered.count("condition: service_healthy") >= 3
    # A fixed host port would make `--scale api=2` collide.
    assert not re.search(r"published: '?8000'?", rendered)
    # one that gave up waiting for PostgreSQL or RabbitMQ (or died) is started again
    assert rendered.count("restart: unless-stopped") == 2


def _environment_of(service: str, rendered: str) -> str:
    block = re.search(rf"^  {service}:\n(.*?)(?=^  \w|\Z)", rendered, re.M | re.S)
    assert block is not None, rendered
    environment = re.search(r"^    environment:\n((?:      .*\n)*)", block.group(1), re.M)
    assert environment is not None, block.group(1)
    return environment.group(1)


def test_settings_set_in_the_shell_reach_api_and_worker_and_unset_ones_keep_defaults() -> None:
    # CAREEROPS_WRITER was forced to offline: a key alone never picked the openai writer.
    result = compose(
        "config", CAREEROPS_JWT_SECRET="s" * 40, OPENAI_API_KEY="sk-test", CAREEROPS_MODEL="gpt-4o"
    )
    assert result.returncode == 0, result.stderr
    for service in ("api", "worker"):
        environment = _environment_of(service, result.stdout)
        assert re.search(r"OPENAI_API_KEY: '?sk-test'?$", environment, re.M), environment
        assert re.search(r"CAREEROPS_MODEL: '?gpt-4o'?$", environment, re.M), environment
        assert re.search(r"CAREEROPS_WRITER: null$", environment, re.M), environment
        assert re.search(r"CAREEROPS_MAX_ATTEMPTS: null$", environment, re.M), environment


#: settings the compose file sets itself: where the services are, and the ports their
#: health checks ask
SET_BY_COMPOSE = {
    "CAREEROPS_DATABASE_URL",
    "CAREEROPS_AMQP_URL",
    "CAREEROPS_JWT_SECRET",
    "CAREEROPS_HOST",
    "CAREEROPS_PORT",
    "CAREEROPS_WORKER_HTTP_HOST",
    "CAREEROPS_WORKER_HTTP_PORT",
}


def test_every_setting_the_processes_read_is_passed_on_from_the_shell() -> None:
    # README: compose passes the settings on from the shell. It passed 20 of 53: a
    # CAREEROPS_FORWARDED_ALLOW_IPS or a limit set in the shell was silently ignored.
    shell = {name: "set-in-the-shell" for name in setting_variables() - SET_BY_COMPOSE}
    result = compose("config", CAREEROPS_JWT_SECRET="s" * 40, **shell)
    assert result.returncode == 0, result.stderr
    for service in ("api", "worker"):
        environment = _environment_of(service, result.stdout)
        passed = set(re.findall(r"^      (\w+): '?set-in-the-shell'?$", environment, re.M))
        assert passed == set(shell), sorted(set(shell) - passed)


def test_the_image_is_slim_non_root_with_a_healthcheck_and_no_dev_tools() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert re.search(r"^USER careerops$", dockerfile, re.M)
    assert "HEALTHCHECK" in dockerfile
    assert "pip install ." in dockerfile and "[dev]" not in dockerfile
