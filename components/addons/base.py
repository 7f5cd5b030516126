"""The one base every Helm-installed add-on is built on.

Helm ignores a values key the chart does not know, without a word, so a typo ships a default. Each
add-on module therefore holds:

- its :class:`ChartPin` (repository, chart, exact version, and ``known_keys``: the dotted key paths the
  project sets, each read in the chart's ``values.yaml`` at that version; tests check that the values
  set nothing outside them, so a new key needs a new look at the chart first);
- a frozen settings class whose ``values()`` builds the only values the project passes to the chart;
- a component class built on :class:`HelmAddOn`, which does what every add-on needs: its namespace
  with a Pod Security level (or an existing namespace), an optional IAM role for its service account
  (IRSA), the atomic Helm release, and the outputs others need (namespace, release, service account,
  role).

Ordering is declared by the caller through ``opts.depends_on`` (what the release must wait for: the
CRDs or webhooks it needs); the add-on applies it to its release (Pulumi does not pass a component's
``depends_on`` on to its children).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.contracts import ClusterIdentity
from components.parts import PodSecurity, depends_on_of, installs_crds
from components.parts import namespace as make_namespace
from infra import iam


@dataclass(frozen=True)
class ChartPin:
    chart: str
    version: str
    repository: str
    app_version: str
    # Dotted paths (below which a map's own keys are free-form) read in values.yaml at ``version``.
    known_keys: frozenset[str]
    # Keys whose value is a free-form map (annotations, extraArgs ...): their children are not checked.
    free_form: frozenset[str] = frozenset()

    def unknown_keys(self, values: Mapping[str, Any]) -> list[str]:
        """Keys in ``values`` that were not verified against the chart (always empty when correct)."""
        return sorted(p for p in leaf_paths(values, self.free_form) if p not in self.known_keys)


def leaf_paths(values: Mapping[str, Any], free_form: frozenset[str] = frozenset(), prefix: str = "") -> Iterator[str]:
    """Dotted paths of the leaves of a values mapping (free-form maps count as one leaf)."""
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and path not in free_form:
            yield from leaf_paths(value, free_form, f"{path}.")
        else:
            yield path


def unknown_keys(pin: ChartPin, values: Mapping[str, Any]) -> list[str]:
    return pin.unknown_keys(values)


@dataclass(frozen=True)
class AddOnArgs:
    """What every add-on is given: the cluster to install into, and, for a child resource that lived
    elsewhere before the add-on had its own component, where it was (child resource name -> an alias),
    so a real ``pulumi up`` moves it instead of replacing it; labels its own namespace carries."""

    kubernetes_provider: k8s.Provider
    moved: Mapping[str, pulumi.Alias] = field(default_factory=dict, kw_only=True)
    # Labels of the add-on's own namespace besides its Pod Security level (the mesh's enrolment).
    namespace_labels: Mapping[str, str] = field(default_factory=dict, kw_only=True)


class HelmAddOn(pulumi.ComponentResource):
    """Base of the add-on components: ``platform:addons:<Class>``. Subclasses set ``PIN`` and call the
    ``_namespace`` / ``_role`` / ``_install`` / ``_publish`` steps they need, in that order."""

    PIN: ClassVar[ChartPin]
    # The API groups of the platform's objects whose CRDs (and webhooks) this chart installs: a component
    # given the release in depends_on hands it to the children of those kinds only (parts.crds_for).
    CRD_GROUPS: ClassVar[frozenset[str]] = frozenset()

    namespace: pulumi.Output[str]
    release: k8s.helm.v3.Release
    service_account: str | None
    role_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: AddOnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"platform:addons:{type(self).__name__}", name, None, opts)
        self._name = name
        self._provider = args.kubernetes_provider
        self._moved = dict(args.moved)
        self._namespace_labels = dict(args.namespace_labels)
        self._used: set[str] = set()
        self._after = depends_on_of(opts)
        self.service_account = None
        self.role_arn = None

    def _opts(
        self, resource_name: str, *, cluster: bool, depends_on: Sequence[pulumi.Resource] = ()
    ) -> pulumi.ResourceOptions:
        alias = self._moved.get(resource_name)
        self._used.add(resource_name)
        return pulumi.ResourceOptions(
            parent=self,
            provider=self._provider if cluster else None,
            depends_on=list(depends_on) or None,
            aliases=[alias] if alias is not None else None,
        )

    def _namespace(
        self,
        resource_name: str,
        name: str,
        enforce: PodSecurity,
        warn: PodSecurity = "restricted",
        audit: PodSecurity | None = None,
    ) -> k8s.core.v1.Namespace:
        """The add-on's own namespace, admitting pods at the ``enforce`` Pod Security level."""
        created = make_namespace(
            resource_name, name, self._opts(resource_name, cluster=True), enforce, warn, audit, self._namespace_labels
        )
        self.namespace = created.metadata.name
        return created

    def _use_namespace(self, name: pulumi.Input[str]) -> None:
        """Install into a namespace that exists already (``kube-system``, or one its owner made)."""
        self.namespace = pulumi.Output.from_input(name)

    def _role(
        self,
        resource_name: str,
        identity: ClusterIdentity,
        namespace: pulumi.Input[str],
        service_account: str,
        statements: Sequence[pulumi.Input[Mapping[str, Any]]],
        description: str | None = None,
        policy_name: str | None = None,
    ) -> aws.iam.RolePolicy:
        """An IAM role only ``namespace/service_account`` may assume (IRSA), holding ``statements``."""
        role = aws.iam.Role(
            resource_name,
            description=description,
            assume_role_policy=iam.irsa_assume_role(
                identity.oidc_provider_arn, identity.oidc_issuer_url, namespace, service_account
            ),
            opts=self._opts(resource_name, cluster=False),
        )
        policy_resource = policy_name or resource_name
        policy = aws.iam.RolePolicy(
            policy_resource,
            role=role.id,
            policy=iam.document(*statements),
            opts=self._opts(policy_resource, cluster=False),
        )
        self.service_account = service_account
        self.role_arn = role.arn
        return policy

    def _install(
        self,
        resource_name: str,
        release: str,
        values: Mapping[str, Any],
        depends_on: Sequence[pulumi.Resource] = (),
        timeout: int = 600,
    ) -> k8s.helm.v3.Release:
        """The pinned chart as one atomic release (a failed install or upgrade rolls back, cleaned up on
        failure), after what the caller's ``opts.depends_on`` and ``depends_on`` name."""
        pin = self.PIN
        self.release = k8s.helm.v3.Release(
            resource_name,
            k8s.helm.v3.ReleaseArgs(
                name=release,
                chart=pin.chart,
                version=pin.version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=pin.repository),
                namespace=self.namespace,
                values=dict(values),
                atomic=True,
                cleanup_on_fail=True,
                timeout=timeout,
            ),
            opts=self._opts(resource_name, cluster=True, depends_on=[*depends_on, *self._after]),
        )
        installs_crds(self.release, self.CRD_GROUPS)
        return self.release

    def _publish(self, **extra: Any) -> None:
        unknown = sorted(set(self._moved) - self._used)
        if unknown:  # a mistyped name would leave the old resource to be replaced, not moved
            raise ValueError(f"{self._name}: moved names no child of this add-on: {unknown}")
        self.register_outputs(
            {
                "namespace": self.namespace,
                "release": self.release.name,
                "service_account": self.service_account,
                "role_arn": self.role_arn,
                **extra,
            }
        )


def resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, dict[str, str]]:
    """A container's ``resources`` map (the ResourceRequirements shape charts pass through): every
    container an add-on's chart renders gets requests and limits, inside the platform's range for
    add-ons that ``infra check --render`` applies (docs/rendering.md)."""
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}


# A small controller or webhook: a few reconciles a second at most.
SMALL = resources("50m", "64Mi", "500m", "256Mi")
# A one-shot hook Job (certificate generation, API checks).
JOB = resources("10m", "32Mi", "200m", "128Mi")
