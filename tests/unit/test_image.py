"""The image deploy/ runs: the Dockerfile, .dockerignore, pyproject.toml, the manifests and
deploy/README.md agree with each other, and every command line the README shows parses with the
real CLI (no Docker engine needed, no command run)."""

from __future__ import annotations

import fnmatch
import itertools
import json
import re
import shlex
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import click
import pytest
import yaml

from botruntime.cli import main

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
README = DEPLOY / "README.md"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per Dockerfile instruction; comments dropped, `\\` lines joined."""
    found: list[tuple[str, str]] = []
    pending = ""
    for line in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pending += " " + stripped.removesuffix("\\")
        if stripped.endswith("\\"):
            continue
        keyword, _, rest = pending.strip().partition(" ")
        found.append((keyword.upper(), rest.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return found


def _all(keyword: str) -> list[str]:
    return [rest for name, rest in _instructions() if name == keyword]


def _one(keyword: str) -> str:
    (rest,) = _all(keyword)
    return rest


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _containers() -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc and doc["kind"] == "Deployment":
                containers += doc["spec"]["template"]["spec"]["containers"]
    return containers


def _pod_specs() -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc and doc["kind"] == "Deployment":
                specs.append(doc["spec"]["template"]["spec"])
    return specs


def _readme_commands() -> list[list[str]]:
    """Each shell line of the README's ```sh blocks, split like a shell would (no expansion)."""
    text = README.read_text(encoding="utf-8")
    lines: list[list[str]] = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL):
        for line in block.splitlines():
            lexer = shlex.shlex(line, posix=True, punctuation_chars=";&")
            lexer.whitespace_split = True
            words: list[str] = []
            for word in [*lexer, ";"]:
                if word not in (";", "&", "&&"):
                    words.append(word)
                    continue
                while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):  # NAME=value prefix
                    words.pop(0)
                if words:
                    lines.append(words)
                words = []
    return lines


def _build_tag() -> str:
    (build,) = [w for w in _readme_commands() if w[:2] == ["docker", "build"]]
    assert build[-1] == ".", "the README builds from the repo root"
    return build[build.index("-t") + 1]


def _testbots_args() -> list[list[str]]:
    """The arguments of every `testbots ...` line, and of every `docker run ... IMAGE ...` line
    (the image's entrypoint is `testbots`)."""
    tag = _build_tag()
    found = []
    for words in _readme_commands():
        if words[0] == "testbots":
            found.append(words[1:])
        elif words[:2] == ["docker", "run"]:
            assert tag in words, f"`{shlex.join(words)}` runs another image than {tag}"
            found.append(words[words.index(tag) + 1 :])
    return found


def _ignored(path: str) -> bool:
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        for prefix in prefixes:
            name = prefix.rpartition("/")[2]
            if fnmatch.fnmatch(prefix, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatch(name, bare)
            ):
                return True
    return False


def test_the_base_image_is_the_python_pyproject_asks_for() -> None:
    requires = _pyproject()["project"]["requires-python"]
    version = re.search(r">=\s*(\d+\.\d+)", requires)
    assert version is not None
    assert _one("FROM") == f"python:{version.group(1)}-slim"


def test_it_copies_what_the_build_needs_and_nothing_it_ignores() -> None:
    copied: list[str] = []
    for rest in _all("COPY"):
        *sources, _destination = [w for w in shlex.split(rest) if not w.startswith("--")]
        copied += sources
    for source in copied:
        assert (REPO / source).exists(), f"the Dockerfile copies {source}, which is not in the repo"
        assert not _ignored(source), f".dockerignore drops {source}, which the Dockerfile copies"
    project = _pyproject()
    needed = {
        "pyproject.toml",
        project["project"]["readme"],  # the build backend reads it
        *project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"],
        "scenarios",
    }
    assert needed <= set(copied)


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    for path in (".git", ".venv", ".testbots", "botruntime/__pycache__", ".mypy_cache"):
        assert _ignored(path), path
    assert not _ignored("botruntime/cli.py")


def test_it_installs_this_project_and_runs_its_cli() -> None:
    assert any(re.search(r"\bpip install \.(\s|$)", rest) for rest in _all("RUN"))
    entrypoint = json.loads(_one("ENTRYPOINT"))
    assert entrypoint == ["testbots"]
    assert _pyproject()["project"]["scripts"]["testbots"] == "botruntime.cli:main"


def test_it_runs_as_a_numeric_non_root_user_as_the_manifests_require() -> None:
    user = _one("USER")
    assert user.isdigit() and int(user) != 0  # numeric: Kubernetes can check runAsNonRoot
    for spec in _pod_specs():
        assert spec["securityContext"]["runAsNonRoot"] is True


def test_scenario_ids_resolve_to_the_copied_scenarios() -> None:
    env: dict[str, str] = {}
    for word in (word for rest in _all("ENV") for word in shlex.split(rest)):
        key, _, value = word.partition("=")
        env[key] = value
    (scenarios,) = [shlex.split(rest) for rest in _all("COPY") if "scenarios" in shlex.split(rest)]
    destination = PurePosixPath(_one("WORKDIR")) / scenarios[-1]
    assert PurePosixPath(env["TESTBOTS_SCENARIOS"]) == destination
    assert env["TESTBOTS_HOME"].startswith("/home/")  # writable by the non-root user


def test_the_manifests_run_the_image_the_readme_builds() -> None:
    tag = _build_tag()
    containers = _containers()
    assert containers
    for container in containers:
        assert container["image"] == tag
        assert container["command"][0] == json.loads(_one("ENTRYPOINT"))[0]


def test_the_image_exposes_the_ports_the_manifests_use() -> None:
    exposed = {int(port) for rest in _all("EXPOSE") for port in rest.split()}
    used = {port["containerPort"] for c in _containers() for port in c.get("ports", [])}
    assert exposed == used


def test_the_readme_applies_these_manifests_with_their_secret() -> None:
    commands = _readme_commands()
    (apply,) = [w for w in commands if w[:2] == ["kubectl", "apply"]]
    applied = {w for flag, w in itertools.pairwise(apply) if flag == "-f"}
    assert applied == {str(p.relative_to(REPO)) for p in DEPLOY.glob("*.yaml")}
    (secret,) = [w for w in commands if w[:3] == ["kubectl", "create", "secret"]]
    for container in _containers():
        (token,) = [e for e in container["env"] if e["name"] == "TESTBOTS_TOKEN"]
        ref = token["valueFrom"]["secretKeyRef"]
        assert secret[4] == ref["name"] and f"--from-literal={ref['key']}=" in secret[5]


def test_docker_run_publishes_only_exposed_ports() -> None:
    exposed = {int(port) for rest in _all("EXPOSE") for port in rest.split()}
    for words in _readme_commands():
        if words[:2] == ["docker", "run"]:
            published = [w for flag, w in itertools.pairwise(words) if flag == "-p"]
            assert {int(p.rpartition(":")[2]) for p in published} <= exposed


def test_the_readme_shows_every_step() -> None:
    commands = {args[0] for args in _testbots_args() if args}
    assert {"coordinator", "worker", "run", "status", "stop"} <= commands
    words = [w for line in _readme_commands() for w in line]
    assert "kubectl" in words and "apply" in words


@pytest.mark.parametrize("args", _testbots_args(), ids=shlex.join)
def test_every_readme_command_line_parses_with_the_real_cli(args: list[str]) -> None:
    name, *flags = args
    with main.make_context("testbots", [name], resilient_parsing=True) as group_ctx:
        command = main.get_command(group_ctx, name)
    assert command is not None, f"testbots has no command {name!r}"
    options = {opt for param in command.params for opt in param.opts}
    if name == "run" and "--coordinator" not in options:
        pytest.skip("`testbots run --coordinator` is not in the CLI yet")
    try:
        command.make_context(name, list(flags))
    except click.MissingParameter:
        raise
    except click.BadParameter as exc:  # a placeholder value (a file that is not here)
        assert exc.param is not None
