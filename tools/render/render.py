"""Render every Helm release of a plan with its pinned chart, as ``helm template`` would for the cluster.

For each ``helm.v3.Release`` in the plan: find the chart (``tools.render.charts``), check the values
keys against it (``tools.render.values``), and render it with the ``helm`` CLI for the configured
cluster: its Kubernetes version, the API versions it serves (the built-in ones Helm knows for that
version, plus every CRD that any release of the plan installs: the releases are rendered once to find
them, then again with them), the release's name and namespace, CRDs included, hooks included (the
cluster runs them), chart tests left out. Each object is written to its own file under
``OUT/<release>/``, and ``OUT/render.json`` indexes them; ``infra check --rendered OUT`` reads that.

The library prints nothing and exits nothing: ``echo`` receives progress (pulls), the result holds one
status per release.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tools.render import charts
from tools.render.values import UnknownKey, unknown_keys

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
INDEX = "render.json"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
# Kinds without a namespace (built-in); custom resources' scope comes from their CRD.
CLUSTER_SCOPED = frozenset(
    {"Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
     "StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "PriorityClass", "RuntimeClass", "IngressClass",
     "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
     "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "FlowSchema",
     "PriorityLevelConfiguration", "CertificateSigningRequest", "IPAddress", "ServiceCIDR", "DeviceClass"}
)  # fmt: skip


class RenderInputError(ValueError):
    """Bad input: no plan, a plan without the cluster version, no helm binary."""


@dataclass(frozen=True)
class Release:
    urn: str
    name: str
    namespace: str
    chart: str
    version: str
    repository: str
    values: dict[str, Any] | None  # None: the plan holds them as a secret


@dataclass
class ReleaseResult:
    release: Release
    status: str  # rendered | unavailable | error
    message: str = ""
    source: str = ""  # where the chart came from
    objects: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    unknown: list[UnknownKey] = field(default_factory=list)
    crds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status == "error" or bool(self.unknown)

    def line(self) -> str:
        name = f"{self.release.name} ({self.release.chart} {self.release.version})"
        if self.status == "rendered":
            text = f"{name}: rendered {len(self.objects)} objects"
        elif self.status == "unavailable":
            text = f"{name}: chart not available ({self.message})"
        else:
            text = f"{name}: render error: {self.message}"
        return "\n".join([text, *(f"  unknown values key: {u}" for u in self.unknown)])


@dataclass
class RenderResult:
    out: Path
    kubernetes_version: str
    api_versions: list[str]
    releases: list[ReleaseResult]

    @property
    def failed(self) -> bool:
        return any(r.failed for r in self.releases)


def helm_binary() -> str:
    """``$INFRA_HELM``, else ``helm`` on PATH, else the one ``make helm`` put beside the interpreter."""
    configured = os.environ.get("INFRA_HELM")
    if configured:
        return configured
    found = shutil.which("helm")
    if found:
        return found
    beside = Path(sys.prefix) / "bin" / "helm"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    raise RenderInputError("no helm binary: install Helm 3 (helm on PATH), or run `make helm`")


def releases(resources: Sequence[Mapping[str, Any]]) -> list[Release]:
    found = []
    for r in resources:
        if r.get("type") != HELM_RELEASE:
            continue
        inputs = r.get("inputs") or {}
        values = inputs.get("values")
        hidden = isinstance(values, Mapping) and _SIG_KEY in values
        found.append(
            Release(
                urn=str(r["urn"]),
                name=str(inputs.get("name") or r["urn"].rsplit("::", 1)[-1]),
                namespace=str(inputs.get("namespace") or "default"),
                chart=str(inputs.get("chart", "")),
                version=str(inputs.get("version", "")),
                repository=str((inputs.get("repositoryOpts") or {}).get("repo", "")),
                values=None if hidden else dict(values or {}),
            )
        )
    return found


def kubernetes_version(resources: Sequence[Mapping[str, Any]]) -> str | None:
    """The EKS cluster's version as the plan declares it."""
    for r in resources:
        if r.get("type") == "aws:eks/cluster:Cluster":
            version = (r.get("inputs") or {}).get("version")
            if version:
                return str(version)
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-") or "object"


class _Loader(yaml.SafeLoader):
    """YAML 1.1 as the API server reads it, less PyYAML's ``=`` value tag (a plain string there)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:value"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


def split(text: str) -> list[dict[str, Any]]:
    """The objects of ``helm template``'s output (empty documents dropped, Lists flattened)."""
    objects: list[dict[str, Any]] = []
    for document in yaml.load_all(text, Loader=_Loader):
        if not isinstance(document, dict):
            continue
        if document.get("kind") == "List" and isinstance(document.get("items"), list):
            objects += [item for item in document["items"] if isinstance(item, dict)]
        else:
            objects.append(document)
    return objects


def api_versions_of(crd: Mapping[str, Any]) -> list[str]:
    spec = crd.get("spec") or {}
    group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
    found = []
    for version in spec.get("versions") or []:
        if isinstance(version, Mapping) and version.get("served", True):
            found += [f"{group}/{version.get('name')}", f"{group}/{version.get('name')}/{kind}"]
    return found


def asks_capabilities(chart: charts.Chart) -> bool:
    """Whether any template (a subchart's too) reads the API versions the cluster serves."""
    return "APIVersions" in chart.templates() or any(asks_capabilities(s) for s in chart.subcharts.values())


def remote_schema(chart: charts.Chart) -> bool:
    """Whether the chart's values schema (or a subchart's) refers to schemas on the network: Helm
    would fetch them to validate, so offline they are skipped (the keys are checked here instead)."""
    text = chart.files.get("values.schema.json", b"").decode("utf-8", errors="replace")
    return bool(re.search(r'"\$ref"\s*:\s*"https?:', text)) or any(remote_schema(s) for s in chart.subcharts.values())


def _template(
    helm: str, release: Release, chart: Path, version: str, api_versions: Sequence[str], skip_schema: bool = False
) -> tuple[list[dict[str, Any]] | None, str]:
    with tempfile.TemporaryDirectory(prefix="infra-render-") as folder:
        values_file = Path(folder) / "values.json"
        values_file.write_text(json.dumps(release.values or {}), encoding="utf-8")
        command = [
            helm, "template", release.name, str(chart), "--namespace", release.namespace,
            "--kube-version", version, "--include-crds", "--skip-tests", "--values", str(values_file),
        ]  # fmt: skip
        for api in api_versions:
            command += ["--api-versions", api]
        if skip_schema:
            command.append("--skip-schema-validation")
        home = Path(folder)
        env = {**os.environ, "HELM_CACHE_HOME": str(home / "cache"), "HELM_CONFIG_HOME": str(home / "config")}
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, env=env)
    if done.returncode != 0:
        return None, " ".join(done.stderr.strip().split())[-600:] or "helm template failed"
    try:
        return split(done.stdout), ""
    except yaml.YAMLError as error:
        return None, f"the chart rendered invalid YAML ({' '.join(str(error).split())[:200]})"


def _locate(
    release: Release, helm: str, charts_dir: Path | None, pull: bool, echo: Callable[[str], None]
) -> tuple[Path | None, str]:
    folders = [charts_dir] if charts_dir else []
    found = charts.find_local(release.chart, release.version, [*folders, charts.cache_dir()])
    if found is not None:
        return found, ""
    if not pull or not release.repository:
        where = f"not in {charts_dir}" if charts_dir else "no --charts-dir"
        return None, f"{where}, not in the cache {charts.cache_dir()}, pulling off"
    try:
        return charts.pull(helm, release.chart, release.version, release.repository, charts.cache_dir(), echo), ""
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"not found locally and the pull failed: {error}"


REDACTED = "<secret: not written by infra render>"
GENERATED = "<generated by the chart at render time>"


def _redact(obj: dict[str, Any]) -> dict[str, Any]:
    """Secret values are not written (as in the plan's manifests); certificates a chart generates on each
    render (``genCA``: webhook CA bundles) are masked, so two renders of the same code are identical."""
    if obj.get("kind") == "Secret":
        for key in ("data", "stringData"):
            if isinstance(obj.get(key), dict):
                obj[key] = {k: REDACTED for k in obj[key]}

    def mask(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (GENERATED if k == "caBundle" and isinstance(v, str) else mask(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v) for v in value]
        return value

    return dict(mask(obj))


def _with_namespace(obj: dict[str, Any], namespace: str, cluster_kinds: set[str]) -> dict[str, Any]:
    """What the API server stores: namespaced objects without a namespace land in the release's."""
    meta = obj.setdefault("metadata", {}) or {}
    obj["metadata"] = meta
    if obj.get("kind") not in cluster_kinds and not meta.get("namespace"):
        meta["namespace"] = namespace
    return obj


def render(
    resources: Sequence[Mapping[str, Any]],
    out: Path,
    *,
    charts_dir: Path | None = None,
    kube_version: str | None = None,
    pull: bool = True,
    echo: Callable[[str], None] = lambda _line: None,
) -> RenderResult:
    """Render every release of ``resources`` (a plan's) into ``out``."""
    version = kube_version or kubernetes_version(resources)
    if not version:
        raise RenderInputError("the plan declares no EKS cluster version: give --kube-version")
    if charts_dir is not None and not charts_dir.is_dir():
        raise RenderInputError(f"--charts-dir: {charts_dir} is not a folder")
    helm = helm_binary()
    results = [ReleaseResult(release, "unavailable") for release in releases(resources)]
    located: dict[str, tuple[Path, charts.Chart]] = {}
    for result in results:
        release = result.release
        if release.values is None:
            result.status, result.message = "error", "the plan holds this release's values as a secret"
            continue
        path, why = _locate(release, helm, charts_dir, pull, echo)
        if path is None:
            result.message = why
            continue
        try:
            chart = charts.load(path)
        except (OSError, ValueError, yaml.YAMLError) as error:
            result.status, result.message = "error", f"cannot read the chart at {path}: {error}"
            continue
        located[release.urn] = (path, chart)
        result.source = str(path)
        result.unknown = unknown_keys(release.name, chart, release.values)

    api_versions: list[str] = []
    for attempt in range(2):  # once to find the CRDs the releases install, once with them served
        for result in results:
            if result.release.urn not in located:
                continue
            path, chart = located[result.release.urn]
            if attempt and not asks_capabilities(chart):
                continue  # its templates never ask what the cluster serves: the first pass is final
            objects, problem = _template(helm, result.release, path, version, api_versions, remote_schema(chart))
            if objects is None:
                result.status, result.message, result.objects = "error", problem, []
            else:
                result.status, result.objects = "rendered", objects
                result.crds = [o for o in objects if o.get("kind") == "CustomResourceDefinition"]
        served = sorted({api for r in results for crd in r.crds for api in api_versions_of(crd)})
        if attempt == 0 and not served:
            break
        api_versions = served
    _write(results, out, version, api_versions)
    return RenderResult(out, version, api_versions, results)


def _cluster_kinds(results: Sequence[ReleaseResult]) -> set[str]:
    kinds = set(CLUSTER_SCOPED)
    for result in results:
        for crd in result.crds:
            spec = crd.get("spec") or {}
            if spec.get("scope") == "Cluster":
                kinds.add(str((spec.get("names") or {}).get("kind")))
    return kinds


def _write(results: Sequence[ReleaseResult], out: Path, version: str, api_versions: Sequence[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    cluster_kinds = _cluster_kinds(results)
    index: dict[str, Any] = {"kubernetesVersion": version, "apiVersions": list(api_versions), "releases": []}
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    for result in results:
        release = result.release
        folder = out / _slug(release.name)
        if folder.exists():
            shutil.rmtree(folder)
        entries = []
        used: set[str] = set()
        result.objects = [_redact(obj) for obj in result.objects]
        for obj in result.objects:
            _with_namespace(obj, release.namespace, cluster_kinds)
            meta = obj.get("metadata") or {}
            parts = (obj.get("kind"), meta.get("namespace") or "", meta.get("name"))
            stem = _slug("_".join(str(p) for p in parts if p))
            name, n = f"{stem}.yaml", 1
            while name in used:
                n += 1
                name = f"{stem}-{n}.yaml"
            used.add(name)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(yaml.dump(obj, Dumper=dumper, sort_keys=True), encoding="utf-8")
            result.files.append(f"{folder.name}/{name}")
            entries.append(
                {"file": f"{folder.name}/{name}", "apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
                 "namespace": meta.get("namespace"), "name": meta.get("name")}
            )  # fmt: skip
        index["releases"].append(
            {"release": release.name, "urn": release.urn, "chart": release.chart, "version": release.version,
             "namespace": release.namespace, "status": result.status, "message": result.message,
             "unknownKeys": [{"path": u.path, "nearest": u.nearest} for u in result.unknown], "objects": entries}
        )  # fmt: skip
    (out / INDEX).write_text(json.dumps(index, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_rendered(out: Path) -> list[dict[str, Any]]:
    """The index of a folder ``render`` wrote, with each object loaded (``object`` key)."""
    index_file = out / INDEX
    if not index_file.is_file():
        raise RenderInputError(f"--rendered: {out} holds no {INDEX} (write it with infra render --out)")
    try:
        index = json.loads(index_file.read_text(encoding="utf-8"))
        for release in index["releases"]:
            for entry in release["objects"]:
                entry["object"] = load_yaml((out / entry["file"]).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as error:
        raise RenderInputError(f"--rendered: cannot read {out} ({type(error).__name__}: {error})") from None
    return list(index["releases"])
