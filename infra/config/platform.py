"""The whole platform for one stack: :class:`PlatformConfig`, the tier defaults, and :func:`build_config`.

Every value a stack can set lives under the ``platform:`` namespace of ``stacks/Pulumi.<stack>.yaml``,
one top-level key per component (``platform:network``, ``platform:cluster`` ...). The checks here are
the ones across sections (regions, the VPC and service ranges, Kong's routes against the services).
Tier defaults are what each environment gets unless its stack file says otherwise, assembled from the
areas' own; stacks differ by data only, components never test the environment.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator

from infra.config import (
    alerts,
    aws,
    backups,
    cluster,
    consoles,
    datastores,
    edge,
    logging,
    mesh,
    monitoring,
    network,
    services,
    workloads,
)
from infra.config.alerts import AlertsConfig
from infra.config.backups import BackupsConfig, RestoreConfig
from infra.config.base import NAMESPACE, Environment, _KeyedError, _Model, duration_seconds
from infra.config.budget import BudgetConfig
from infra.config.cluster import ClusterConfig
from infra.config.consoles import ConsolesConfig
from infra.config.datastores import DatastoresConfig
from infra.config.delivery import DeliveryConfig, release_role_name
from infra.config.edge import GatewayConfig, IngressConfig
from infra.config.errors import ConfigError, _format_error, shown
from infra.config.logging import LoggingConfig
from infra.config.mesh import MeshConfig
from infra.config.monitoring import MonitoringConfig
from infra.config.network import NatStrategy, NetworkConfig
from infra.config.services import ServicesConfig
from infra.config.workloads import ProtectionConfig, WorkloadsConfig

_PROJECT = re.compile(r"^[a-z][a-z0-9-]{1,22}[a-z0-9]$")


def _tags(value: dict[str, str]) -> dict[str, str]:
    problem = aws.tag_problem(value)
    if problem is not None:
        key, why = problem
        raise _KeyedError(key, why) if key else ValueError(why)
    return value


class PlatformConfig(_Model):
    """The whole platform for one stack."""

    project: str = "platform"
    environment: Environment
    region: str = "us-east-1"
    backup_region: str = "us-west-2"
    tags: Annotated[dict[str, str], AfterValidator(_tags)] = Field(default_factory=dict)
    network: NetworkConfig = NetworkConfig()
    cluster: ClusterConfig = ClusterConfig()
    workloads: WorkloadsConfig = WorkloadsConfig()
    protection: ProtectionConfig = ProtectionConfig()
    datastores: DatastoresConfig = DatastoresConfig()
    ingress: IngressConfig | None = None  # no public entry (and no gateway) when absent
    gateway: GatewayConfig = GatewayConfig()
    services: ServicesConfig = ServicesConfig()
    monitoring: MonitoringConfig = MonitoringConfig()
    alerts: AlertsConfig = AlertsConfig()
    consoles: ConsolesConfig = ConsolesConfig()  # how the operators' UIs are reached
    backups: BackupsConfig = BackupsConfig()
    restore: RestoreConfig | None = None  # start datastores from backups (a disaster-recovery stack)
    logging: LoggingConfig = LoggingConfig()  # the ELK stack
    delivery: DeliveryConfig = DeliveryConfig()  # who may release services and deploy from GitHub Actions
    budget: BudgetConfig | None = None  # the most the stack may cost a month (infra check); none by default
    mesh: MeshConfig = MeshConfig()  # Istio ambient: mutual TLS inside the cluster

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        if not _PROJECT.match(value):
            raise ValueError(f"{value!r} must be 3-24 characters of a-z, 0-9 and '-', starting with a letter")
        return value

    @field_validator("region", "backup_region")
    @classmethod
    def _region(cls, value: str) -> str:
        return aws.check_region(value)

    @model_validator(mode="after")
    def _cross_checks(self) -> PlatformConfig:
        if self.backup_region == self.region:
            raise _KeyedError("backupRegion", f"{self.backup_region} is also the primary region; backups need another")
        if aws.REGIONS[self.backup_region].partition != aws.REGIONS[self.region].partition:
            raise _KeyedError("backupRegion", f"{self.backup_region} is in another AWS partition than {self.region}")
        zones = self.network.zone_names
        problem = aws.zone_problem(self.region, zones) if zones is not None else None
        if problem is not None:
            raise _KeyedError("network.zoneNames", problem)
        if zones is None and self.network.availability_zones > aws.REGIONS[self.region].zones:
            raise _KeyedError(
                "network.availabilityZones",
                f"{self.region} has {aws.REGIONS[self.region].zones} availability zones; "
                f"{self.network.availability_zones} asked for",
            )
        vpc = ipaddress.IPv4Network(self.network.cidr)
        service = ipaddress.IPv4Network(self.cluster.service_cidr)
        if vpc.overlaps(service):
            raise _KeyedError("cluster.serviceCidr", f"{service} overlaps the VPC block {vpc}")
        return self

    @model_validator(mode="after")
    def _services_meet_the_gateway(self) -> PlatformConfig:
        """Kong's routes point at services that exist, on their ports; the tokens a service issues live
        exactly as long as Kong accepts them."""
        services = self.services.enabled
        for index, route in enumerate(self.gateway.routes):
            target = services.get(route.service)
            if target is None:
                raise _KeyedError(
                    f"gateway.routes[{index}].service",
                    f"route {route.name} points at {route.service}, which is not a service "
                    f"(services: {', '.join(services)})",
                )
            if target.port != route.port:
                raise _KeyedError(
                    f"gateway.routes[{index}].port",
                    f"route {route.name} uses port {route.port}; {route.service} listens on {target.port}",
                )
        for name in self.alerts.services:
            if name not in services:
                raise _KeyedError(
                    f"alerts.services.{name}", f"{name} is not a service (services: {', '.join(services)})"
                )
        jwt_routes = [r.name for r in self.gateway.routes if r.jwt]
        if self.ingress is not None and jwt_routes and not any(s.tokens is not None for s in services.values()):
            raise _KeyedError(
                "services.deployments",
                f"routes {', '.join(jwt_routes)} require JWTs, but no service issues tokens (set its tokens)",
            )
        for name, service in services.items():
            if service.tokens is None:
                continue
            pairs = (
                ("accessTokenTtl", service.tokens.access_token_ttl, self.gateway.access_token_ttl_seconds),
                ("refreshTokenTtl", service.tokens.refresh_token_ttl, self.gateway.refresh_token_ttl_seconds),
            )
            for key, ttl, gateway_seconds in pairs:
                if duration_seconds(ttl) != gateway_seconds:
                    raise _KeyedError(
                        f"services.deployments.{name}.tokens.{key}",
                        f"{ttl} differs from the gateway's {gateway_seconds} s (platform:gateway); they must agree",
                    )
        return self

    @model_validator(mode="after")
    def _prod_keeps_the_mesh(self) -> PlatformConfig:
        """Prod's in-cluster hops stay mutual TLS: its mesh cannot be turned off."""
        if self.environment is Environment.PROD and not self.mesh.enabled:
            raise _KeyedError(
                "mesh.enabled", "prod keeps the mesh (mutual TLS inside the cluster); only true is allowed"
            )
        return self

    @model_validator(mode="after")
    def _prod_keeps_nat_gateways(self) -> PlatformConfig:
        """Prod's way out stays a managed NAT gateway per zone's worth: a NAT instance is one machine."""
        if self.environment is Environment.PROD and self.network.nat_gateways is NatStrategy.INSTANCE:
            raise _KeyedError(
                "network.natGateways",
                "prod does not run a NAT instance (one machine, one point of failure); allowed: onePerAz, single",
            )
        return self

    @model_validator(mode="after")
    def _consoles_meet_the_edge(self) -> PlatformConfig:
        """UIs are published on the edge only if there is one, under its DNS zone, on hostnames of their
        own (the edge's ``hostnames`` go to the API gateway)."""
        published = self.consoles.published
        if not published:
            return self
        if self.ingress is None:
            raise _KeyedError("consoles.mode", "edge needs the platform's edge, and platform:ingress is not configured")
        for name, host in published.items():
            key = f"consoles.hostnames.{name}"
            zone = self.ingress.dns_zone_name
            if host != zone and not host.endswith(f".{zone}"):
                raise _KeyedError(key, f"{host} is not inside the edge's DNS zone {zone}")
            if host in self.ingress.hostnames:
                raise _KeyedError(key, f"{host} is one of platform:ingress.hostnames, which go to the API gateway")
        return self

    @model_validator(mode="after")
    def _delivery_meets_the_services(self) -> PlatformConfig:
        """Each release role belongs to an enabled service, and its name fits IAM's 64 characters."""
        services = self.services.enabled
        for name in self.delivery.github.services:
            key = f"delivery.github.services.{name}"
            if name not in services:
                raise _KeyedError(key, f"{name} is not an enabled service (services: {', '.join(services)})")
            role = release_role_name(self.name_prefix, name)
            if len(role) > 64:
                raise _KeyedError(key, f"the role name {role} is {len(role)} characters; IAM allows 64")
        return self

    @property
    def name_prefix(self) -> str:
        """``<project>-<environment>``: the prefix of every physical name."""
        return f"{self.project}-{self.environment.value}"


# What each environment gets unless its stack file says otherwise, one entry per section (the areas'
# own tier defaults).
TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    env: {
        "network": network.TIER_DEFAULTS[env],
        "cluster": cluster.TIER_DEFAULTS[env],
        "protection": workloads.PROTECTION_TIER_DEFAULTS[env],
        "ingress": edge.INGRESS_TIER_DEFAULTS[env],
        "gateway": edge.GATEWAY_TIER_DEFAULTS[env],
        "datastores": datastores.TIER_DEFAULTS[env],
        "services": services.TIER_DEFAULTS[env],
        "monitoring": monitoring.TIER_DEFAULTS[env],
        "alerts": alerts.TIER_DEFAULTS[env],
        "consoles": consoles.TIER_DEFAULTS[env],
        "backups": backups.TIER_DEFAULTS[env],
        "logging": logging.TIER_DEFAULTS[env],
        "mesh": mesh.TIER_DEFAULTS[env],
    }
    for env in Environment
}
# Sections a stack may leave out entirely; their tier defaults apply only when the stack has them.
OPTIONAL_SECTIONS: tuple[str, ...] = ("ingress",)


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _refuse_nulls(values: Mapping[str, Any]) -> None:
    """``platform:ingress: null`` would drop a whole section (or a setting) and plan without it. Deeper
    down a null unsets an optional value; the models refuse it wherever a value is required."""
    for key, value in values.items():
        if value is None:
            raise ConfigError(f"{NAMESPACE}:{key}: null is not a setting; remove the key to get its default")


def build_config(values: Mapping[str, Any]) -> PlatformConfig:
    """Validate the ``platform:`` values of a stack (keys without the namespace) into a PlatformConfig.

    Tier defaults for the environment are applied first; the stack's values override them.
    Raises :class:`ConfigError` with a one-line message naming the key.
    """
    env_value = values.get("environment")
    allowed_envs = ", ".join(e.value for e in Environment)
    if env_value is None:
        raise ConfigError(f"{NAMESPACE}:environment: required key is missing (allowed: {allowed_envs})")
    if not isinstance(env_value, str) or env_value not in {e.value for e in Environment}:
        raise ConfigError(f"{NAMESPACE}:environment: {shown(env_value)} is not allowed (allowed: {allowed_envs})")
    environment = Environment(env_value)
    _refuse_nulls(values)
    defaults = {k: v for k, v in TIER_DEFAULTS[environment].items() if k not in OPTIONAL_SECTIONS or k in values}
    merged = _deep_merge(defaults, values)
    try:
        # Strict, as JSON: no boolean for a number, no number for text, no "false" for a boolean.
        return PlatformConfig.model_validate_json(json.dumps(merged), strict=True)
    except ValidationError as err:
        raise ConfigError(_format_error(err, PlatformConfig)) from None
