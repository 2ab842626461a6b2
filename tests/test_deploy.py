"""The deployment files agree with the bot: the systemd unit, the compose file, the image and .env.example."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import read_env_file
from bot.ops.exitcodes import PERMANENT, ExitCode

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "brief-bot.service"
COMPOSE = ROOT / "deploy" / "compose.yaml"
# The Compose specification's top-level and service keys this file may use (a typo is not silently ignored).
COMPOSE_TOP = {"services", "volumes", "networks", "configs", "secrets"}
SERVICE_KEYS = {
    "build", "image", "env_file", "environment", "volumes", "ports", "restart", "stop_grace_period",
    "healthcheck", "read_only", "tmpfs", "cap_drop", "security_opt", "logging", "command", "user",
}  # fmt: skip


def _unit() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT)
    return parser


def test_the_unit_restarts_on_failure_except_the_permanent_exit_codes() -> None:
    service = _unit()["Service"]
    assert service["Restart"] == "on-failure"
    assert {ExitCode(int(code)) for code in service["RestartPreventExitStatus"].split()} == PERMANENT
    assert ExitCode.ANOTHER_BOT_RUNNING not in PERMANENT  # an overlapping deploy: retrying is right
    assert service["EnvironmentFile"].startswith("/etc/")
    assert service["User"] != "root"
    assert service["ProtectSystem"] == "strict" and service["UMask"] == "0077"
    database = Path(service["Environment"].removeprefix("DATABASE_PATH="))
    assert str(database.parent) in service["ReadWritePaths"].split()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify checks that ExecStart exists: point it at this environment's brief-bot.
    brief_bot = shutil.which("brief-bot") or str(Path(__import__("sys").executable).parent / "brief-bot")
    unit = tmp_path / "brief-bot.service"
    unit.write_text(re.sub(r"^ExecStart=\S+", f"ExecStart={brief_bot}", UNIT.read_text(), flags=re.M))
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def test_the_compose_file_has_the_expected_structure() -> None:
    data = _compose()
    assert set(data) <= COMPOSE_TOP
    (name,) = data["services"]
    bot = data["services"][name]
    assert set(bot) <= SERVICE_KEYS, set(bot) - SERVICE_KEYS
    # Compose v1.29 (Debian 12's docker-compose) refuses a top-level `name` and `env_file` entries with `path`.
    assert "name" not in data
    assert bot["env_file"] == ["../.env"]
    assert "BOT_TOKEN" not in str(bot.get("environment", ""))  # the token only in the env file
    volume, target = bot["volumes"][0].split(":")[:2]
    assert target == "/data" and volume in data["volumes"]
    # Not unless-stopped/always: they restart a permanent exit code (a rejected token) forever.
    policy, _, retries = bot["restart"].partition(":")
    assert policy == "on-failure" and 1 <= int(retries) <= 10, bot["restart"]
    assert data["volumes"][volume]["name"] == "brief-bot_brief-data"  # the volume earlier versions created
    assert bot["healthcheck"]["test"] == ["CMD", "brief-bot", "healthcheck"]
    for port in bot["ports"]:
        assert str(port).startswith("127.0.0.1:"), port  # behind the reverse proxy, never on every interface


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode != 0,
    reason="docker compose is not installed",
)
def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    env = ROOT / ".env"
    if not env.exists():
        pytest.skip("docker compose config needs ../.env")
    result = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"], capture_output=True)
    assert result.returncode == 0, result.stderr


def _dockerfile_env() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text()
    runtime = text[text.rindex("\nFROM ") :]
    block = re.search(r"^ENV (.*?)(?:\n\n|\nRUN|\nCOPY)", runtime, flags=re.M | re.S)
    assert block is not None
    pairs = re.findall(r"(\w+)=(\S+)", block.group(1))
    return dict(pairs)


def test_env_example_does_not_override_what_the_image_sets() -> None:
    image = _dockerfile_env()
    assert image["DATABASE_PATH"].startswith("/data/")
    example = read_env_file(ROOT / ".env.example")
    # docker run --env-file .env / compose's env_file would put these over the image's values.
    assert set(example) & {"DATABASE_PATH", "WEBHOOK_LISTEN", "container"} == set()


def test_the_image_health_check_uses_the_command() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["brief-bot", "healthcheck"]' in text
    assert "--require-hashes" in text and "requirements.lock" in text
    # The dependency layer comes before the code: a text change does not reinstall the dependencies.
    assert text.index("-r requirements.lock") < text.index("COPY bot ")


def _final_stage() -> str:
    text = (ROOT / "Dockerfile").read_text()
    return text[text.rindex("\nFROM ") :]


def test_the_image_runs_as_uid_and_gid_10001_without_build_tools() -> None:
    text = (ROOT / "Dockerfile").read_text()
    final = _final_stage()
    # A system gid (999) is some host group's on a bind mount: the group is 10001 like the user.
    assert "groupadd --system --gid 10001" in final and "--uid 10001 --gid 10001" in final
    assert "USER 10001:10001" in final
    # pip, setuptools and wheel: removed from the venv in the build stage, and from the base's Python here.
    build = text[: text.rindex("\nFROM ")]
    assert "pip uninstall --yes pip setuptools wheel" in build
    for tool in ("pip*", "setuptools*", "wheel*"):
        assert f"/usr/local/lib/python3.11/site-packages/{tool}" in final, tool
    assert "-name tests" in build  # the libraries' own test suites stay in the build stage
    assert "COPY --from=build /opt/venv /opt/venv" in final and final.count("COPY") == 1


def _headings() -> set[str]:
    return {line.lstrip("#").strip() for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("#")}


def test_the_deploy_files_cite_readme_sections_that_exist() -> None:
    headings = _headings()
    for path in (UNIT, COMPOSE):
        cited = re.findall(r'README "([^"]+)"', path.read_text())
        assert cited, path
        for name in cited:
            assert name in headings, f"{path.name} cites README {name!r}, which has no such section"


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose (Compose v1) is not installed")
def test_compose_v1_as_packaged_in_debian_12_accepts_the_file(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    shutil.copy(COMPOSE, tmp_path / "deploy" / "compose.yaml")
    (tmp_path / ".env").write_text("BOT_TOKEN=\n")  # ../.env of the compose file, as after `cp .env.example .env`
    result = subprocess.run(
        ["docker-compose", "-f", "deploy/compose.yaml", "config"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "name: brief-bot_brief-data" in result.stdout


def test_env_example_names_every_setting() -> None:
    source = (ROOT / "bot" / "config.py").read_text()
    settings = set(re.findall(r'get\("([A-Z_]+)"\)', source))
    assert {"BOT_TOKEN", "REPORTS_CHAT_ID", "STATS_RETENTION_DAYS"} <= settings
    example = (ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#?([A-Z_]+)=", example, flags=re.M))
    # STARTUP_BACKOFF is for tests (the README says so): an operator has no reason to change it.
    assert settings - {"STARTUP_BACKOFF"} <= named, settings - named
    assert "ru or en" not in example  # every shipped language may be the default
