"""The tools that check deploy/ and docker-compose.yml without Docker or a cluster (tests/test_deploy_files.py
and tests/test_k8s_manifests.py use them; devstack/run-tests.sh gets them ready before pytest):

- compose-go's loader (the one Docker Compose uses), as deploy/tools/composecheck, built with
  `go install` from that module (its go.sum pins compose-go);
- deploy/tools/kubecheck, which decodes built-in Kubernetes objects strictly into the API's Go
  types (k8s.io/api, pinned by its go.sum): no JSON schemas can be downloaded here;
- kustomize, built with `go install sigs.k8s.io/kustomize/kustomize/v5@KUSTOMIZE_VERSION`;
- promtool, from Debian's `prometheus` package (installed when missing, as Postgres and Java are).

Go builds land in the cache (~/.cache/wtgr/<tool>-<version>/), once, like Mailpit's.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from devstack import config
from devstack.gobuild import go_install
from devstack.proc import StartupError
from devstack.system import require_executable

KUSTOMIZE_MODULE = "sigs.k8s.io/kustomize/kustomize/v5"
KUSTOMIZE_VERSION = "v5.7.1"
REPO_ROOT = Path(__file__).resolve().parents[1]
TOOLS_SOURCE = REPO_ROOT / "deploy" / "tools"


def kustomize(cache_dir: Path) -> Path:
    target = cache_dir / f"kustomize-{KUSTOMIZE_VERSION}" / "kustomize"
    return go_install(target, f"{KUSTOMIZE_MODULE}@{KUSTOMIZE_VERSION}")


def _repository_tool(cache_dir: Path, name: str) -> Path:
    """A checker of deploy/tools/<name>, rebuilt whenever its source or pinned modules change."""
    source = TOOLS_SOURCE / name
    digest = hashlib.sha256()
    for file in ("go.mod", "go.sum", "main.go"):
        digest.update((source / file).read_bytes())
    target = cache_dir / f"{name}-{digest.hexdigest()[:12]}" / name
    return go_install(target, ".", workdir=source)


def composecheck(cache_dir: Path) -> Path:
    return _repository_tool(cache_dir, "composecheck")


def kubecheck(cache_dir: Path) -> Path:
    return _repository_tool(cache_dir, "kubecheck")


def promtool() -> Path:
    return Path(require_executable("promtool", "prometheus", "promtool checks deploy/prometheus"))


def main() -> int:
    cache = config.cache_dir(os.environ)
    try:
        for tool in (composecheck(cache), kubecheck(cache), kustomize(cache), promtool()):
            print(f"deploy tool ready: {tool}")
    except StartupError as error:
        print(f"devstack.deploy_tools: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
