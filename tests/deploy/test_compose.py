"""The compose file validates, and every image it names is built here or pinned."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ENV = {
    **os.environ,
    "QDRANT_API_KEY": "test-key",
    "LOOKBOOK_SECRET_KEY": "x" * 40,
    "POSTGRES_PASSWORD": "pg-test-password",
}
#: A release tag (PostgreSQL's are major.minor: 15.10 is one exact release).
PINNED = re.compile(r"^[\w./-]+:v?\d+\.\d+(\.\d+)?$")


def _compose(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose is missing: `make test` installs Debian's docker-compose package"
    return subprocess.run(
        [exe, "-f", str(ROOT / "docker-compose.yml"), *args],
        env=env if env is not None else ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    result = _compose("config")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = yaml.safe_load(result.stdout)
    return data


def test_compose_file_validates() -> None:
    result = _compose("config", "-q")
    assert result.returncode == 0, result.stderr


def test_missing_secrets_are_a_clear_error() -> None:
    env = {k: v for k, v in ENV.items() if k != "QDRANT_API_KEY"}
    result = _compose("config", "-q", env=env)
    assert result.returncode != 0
    assert "set QDRANT_API_KEY" in result.stderr


def test_three_qdrant_nodes_in_a_cluster(config: dict[str, Any]) -> None:
    nodes = [name for name in config["services"] if name.startswith("qdrant-")]
    assert nodes == ["qdrant-1", "qdrant-2", "qdrant-3"]
    assert "--uri" in config["services"]["qdrant-1"]["command"]
    for name in nodes[1:]:
        assert "--bootstrap" in config["services"][name]["command"]
    qcfg = yaml.safe_load((ROOT / "qdrant" / "config.yaml").read_text())
    assert qcfg["cluster"]["enabled"] is True


def test_every_image_is_built_here_or_pinned(config: dict[str, Any]) -> None:
    for name, svc in config["services"].items():
        build = svc.get("build")
        if build:
            context = Path(build["context"])
            dockerfile = context / build.get("dockerfile", "Dockerfile")
            assert dockerfile.is_file(), f"{name}: {dockerfile} is missing"
        else:
            image = svc["image"]
            same = [
                s for s in config["services"].values() if s.get("image") == image and s.get("build")
            ]
            assert same or PINNED.match(image), f"{name}: image {image} is neither built nor pinned"


@pytest.mark.parametrize("dockerfile", ["api/Dockerfile", "frontend/Dockerfile"])
def test_images_run_as_non_root_with_a_health_check(dockerfile: str) -> None:
    text = (ROOT / dockerfile).read_text()
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.M)
    assert users and users[-1] not in ("root", "0"), f"{dockerfile} runs as root"
    assert re.search(r"^HEALTHCHECK ", text, flags=re.M), f"{dockerfile} has no HEALTHCHECK"


def test_startup_order_follows_health(config: dict[str, Any]) -> None:
    api = config["services"]["api"]
    assert api["depends_on"]["indexer"]["condition"] == "service_completed_successfully"
    assert api["deploy"]["replicas"] >= 2
    front = config["services"]["frontend"]["depends_on"]["api"]["condition"]
    assert front == "service_healthy"


def test_the_replicas_share_postgresql_and_no_volume_but_the_index(config: dict[str, Any]) -> None:
    """Issue 22: the state every replica (on any host) shares is PostgreSQL, whose schema a
    one-shot `migrate` upgrades before the indexer and the API start."""
    services = config["services"]
    api, migrate = services["api"], services["migrate"]
    url = api["environment"]["LOOKBOOK_DATABASE_URL"]
    assert url.startswith("postgresql://lookbook:") and url.endswith("@postgres:5432/lookbook")
    assert migrate["command"] == ["python", "-m", "api", "db", "upgrade"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("indexer", "api"):
        after = services[name]["depends_on"]
        chain = after.get("migrate") or services[next(iter(after))]["depends_on"]["migrate"]
        assert chain["condition"] == "service_completed_successfully"
    # Read-only inputs (the data, the published index), no shared state.
    mounts = [v.split(":")[1:] for v in api["volumes"]]
    assert mounts == [["/data", "ro"], ["/var/lib/lookbook/index", "ro"]]


def test_env_example_names_every_secret_compose_requires() -> None:
    required = set(re.findall(r"\$\{(\w+):\?", (ROOT / "docker-compose.yml").read_text()))
    example = (ROOT / ".env.example").read_text()
    named = set(re.findall(r"^(\w+)=", example, flags=re.MULTILINE))
    assert required == {"QDRANT_API_KEY", "LOOKBOOK_SECRET_KEY", "POSTGRES_PASSWORD"}
    assert required <= named


def test_env_example_once_filled_in_validates(tmp_path: Path) -> None:
    example = (ROOT / ".env.example").read_text()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QDRANT_API_KEY", "LOOKBOOK_SECRET_KEY", "POSTGRES_PASSWORD")
    }
    # As copied, every value still empty: compose says what to set.
    copied = tmp_path / "copied.env"
    copied.write_text(example)
    result = _compose("--env-file", str(copied), "config", "-q", env=env)
    assert result.returncode != 0
    assert re.search(
        r"set (QDRANT_API_KEY|POSTGRES_PASSWORD|LOOKBOOK_SECRET_KEY) in \.env", result.stderr
    )
    filled = tmp_path / "filled.env"
    filled.write_text(re.sub(r"^(\w+)=$", lambda m: f"{m[1]}={'x' * 40}", example, flags=re.M))
    result = _compose("--env-file", str(filled), "config", "-q", env=env)
    assert result.returncode == 0, result.stderr
