"""What a service's component is given: its config section and the platform's wiring
(``ServiceDeploymentArgs``), with what it reads from them; the small contracts it takes (a Secret's key
as an env var, an egress target, the token signer). No resources: ``components/service.py`` builds them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.contracts import ClusterIdentity, DatastoreEndpoint, MeshTraffic, PeerPods
from infra.aws_context import AwsContext
from infra.config.services import DATASTORE_ENV, ServiceConfig, ServicesConfig
from infra.config.workloads import PodResources, ProtectionConfig


@dataclass(frozen=True)
class SecretEnv:
    """An env var read from a key of a Kubernetes Secret (delivered by External Secrets)."""

    env: str
    secret: pulumi.Input[str]
    key: str


@dataclass(frozen=True)
class EgressTarget:
    """Somewhere outside the cluster the service may connect to: CIDRs and one TCP port."""

    name: str
    cidrs: Sequence[str]
    port: pulumi.Input[int]


@dataclass(frozen=True)
class TokenSigner:
    """The key the token-issuing service signs its JWTs with (the token signing component's outputs)."""

    key_arn: pulumi.Input[str]
    algorithm: str
    statement: pulumi.Input[Mapping[str, Any]]  # what its role needs to sign


@dataclass(frozen=True)
class ServiceDeploymentArgs:
    name: str
    spec: ServiceConfig
    rollouts: ServicesConfig  # how every service rolls out: promotion, scale-down delay, analysis
    default_resources: PodResources  # platform:workloads.resources, when the service names none
    namespace: pulumi.Input[str]  # from the namespace's owner
    kubernetes_provider: k8s.Provider
    aws: AwsContext
    identity: ClusterIdentity
    ecr_repository_name: str
    prometheus_address: pulumi.Input[str]
    scrapers: PeerPods  # Prometheus
    dns: PeerPods
    protection: ProtectionConfig
    gateway: PeerPods | None = None  # who may call ``port``; None: nobody (workers)
    # The namespace is in the ambient mesh (and so are the gateway and the scrapers): they arrive on the HBONE
    # port, the kubelet's probes from the mesh's link-local address. None: not meshed.
    mesh: MeshTraffic | None = None
    service_annotations: Mapping[str, str] = field(default_factory=dict)  # on the active Service (gateway)
    # The datastores the service uses (``spec.datastores``), by name, and where they are.
    datastores: Mapping[str, DatastoreEndpoint] = field(default_factory=dict)
    datastore_cidrs: Sequence[str] = ()  # the data subnets
    aws_api_cidrs: Sequence[str] = ()  # where the AWS API endpoints are (only used with AWS permissions)
    token_signer: TokenSigner | None = None  # for the service that issues tokens
    keep_images: int = 30
    # A fixed name for the service's IAM role, when another policy must name the role before it exists
    # (the token signing key names its issuer); None: Pulumi names it.
    role_name: str | None = None
    # The tag or digest a release rolled out (its record, see components/delivery.py); None: the
    # stack file's image.
    image_reference: pulumi.Input[str] | None = None
    # What the first analysis needs running before the Rollout starts (Prometheus' release): only the
    # Rollout waits for it; the objects around it wait for the namespace's guard rails and their CRDs.
    analysis_after: Sequence[pulumi.Resource] = ()

    def __post_init__(self) -> None:
        missing = sorted(set(self.spec.datastores) - set(self.datastores))
        if missing:
            raise ValueError(f"{self.name}: no endpoint given for datastore {missing[0]}")
        if self.gateway is not None and self.spec.port is None:
            raise ValueError(f"{self.name}: the gateway can only be let in on a port")
        if self.aws_permissions and not self.aws_api_cidrs:
            raise ValueError(f"{self.name}: AWS permissions need the AWS API endpoints' CIDRs for egress")

    # -- read from the config section (written once there) --------------------------------------
    @property
    def port(self) -> int | None:
        return self.spec.port

    @property
    def metrics_port(self) -> int | None:
        return self.spec.metrics_port

    @property
    def resources(self) -> PodResources:
        return self.spec.resources or self.default_resources

    @property
    def env(self) -> dict[str, pulumi.Input[str]]:
        env: dict[str, pulumi.Input[str]] = dict(self.spec.env)
        if self.spec.tokens is not None:
            env["ACCESS_TOKEN_TTL"] = self.spec.tokens.access_token_ttl
            env["REFRESH_TOKEN_TTL"] = self.spec.tokens.refresh_token_ttl
            if self.token_signer is not None:  # it signs the tokens Kong verifies, with the KMS key
                env["JWT_SIGNING_KEY_ARN"] = self.token_signer.key_arn
                env["JWT_ALGORITHM"] = self.token_signer.algorithm
        return env

    @property
    def aws_permissions(self) -> list[pulumi.Input[Mapping[str, Any]]]:
        statements: list[pulumi.Input[Mapping[str, Any]]] = [p.statement() for p in self.spec.aws_permissions]
        if self.spec.tokens is not None and self.token_signer is not None:
            statements.append(self.token_signer.statement)
        return statements

    @property
    def secret_env(self) -> list[SecretEnv]:
        return [
            SecretEnv(env=DATASTORE_ENV[store], secret=self.datastores[store].secret, key=self.datastores[store].key)
            for store in self.spec.datastores
        ]

    @property
    def datastore_egress(self) -> list[EgressTarget]:
        return [
            EgressTarget(store, self.datastore_cidrs, self.datastores[store].port) for store in self.spec.datastores
        ]

    @property
    def probe_port(self) -> str:
        return "http" if self.port is not None else "metrics"

    @property
    def metrics_port_name(self) -> str:
        return "metrics" if self.metrics_port is not None and self.metrics_port != self.port else "http"
