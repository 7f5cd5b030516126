"""The shared builders of ``components/parts.py`` for what the External Secrets Operator and cert-manager
act on: the Secret is always owned by its ExternalSecret and named like it, a generated password is
rendered once, a certificate is awaited until issued and keyed ECDSA P-256 with a fresh key each time."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.parts import certificate, external_secret, from_generator, from_store, generated_password
from tests.support import Resource, build, one

EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"


def objects() -> list[Resource]:
    def program() -> None:
        opts = pulumi.ResourceOptions(provider=k8s.Provider("k8s", kubeconfig="{}"))
        generator = generated_password("pw", "reader", "logging", opts)
        external_secret(
            "generated",
            "reader",
            "logging",
            from_generator("reader"),
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[generator])),
            template={"type": "kubernetes.io/basic-auth", "data": {"password": "{{ .password }}"}},
        )
        external_secret(
            "fetched",
            "receivers",
            "monitoring",
            from_store("platform", data=[{"secretKey": "slack", "remoteRef": {"key": "alerts/slack"}}]),
            opts,
            retain=True,
        )
        certificate("cert", "edge-tls", "nginx-ingress", ["a.example.com", "b.example.com"], "letsencrypt", opts)

    return build(program)


def test_a_generated_password_is_rendered_once_into_the_secret_its_external_secret_owns() -> None:
    resources = objects()
    generated = one(resources, EXTERNAL_SECRET, "generated")
    spec = generated["inputs"]["spec"]
    assert spec["refreshPolicy"] == "CreatedOnce" and "refreshInterval" not in spec
    (source,) = spec["dataFrom"]
    assert source["sourceRef"]["generatorRef"] == {
        "apiVersion": "generators.external-secrets.io/v1alpha1",
        "kind": "Password",
        "name": "reader",
    }
    assert spec["target"] == {
        "name": "reader",
        "creationPolicy": "Owner",
        "template": {
            "engineVersion": "v2",
            "type": "kubernetes.io/basic-auth",
            "data": {"password": "{{ .password }}"},
        },
    }
    generator = one(resources, "kubernetes:generators.external-secrets.io/v1alpha1:Password", "pw")
    assert generator["inputs"]["spec"]["length"] >= 24
    assert generator["urn"] in generated["dependencies"]


def test_a_fetched_secret_names_its_store_and_may_outlive_its_external_secret() -> None:
    spec = one(objects(), EXTERNAL_SECRET, "fetched")["inputs"]["spec"]
    assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "platform"}
    assert spec["refreshInterval"] == "1h" and "dataFrom" not in spec
    assert spec["target"] == {"name": "receivers", "creationPolicy": "Owner", "deletionPolicy": "Retain"}


def test_a_certificate_is_awaited_and_keyed_ecdsa_with_a_new_key_at_each_renewal() -> None:
    cert = one(objects(), "kubernetes:cert-manager.io/v1:Certificate", "cert")["inputs"]
    assert cert["metadata"]["annotations"]["pulumi.com/waitFor"] == "condition=Ready"
    spec = cert["spec"]
    assert spec["secretName"] == cert["metadata"]["name"] == "edge-tls"
    assert spec["dnsNames"] == ["a.example.com", "b.example.com"]
    assert spec["issuerRef"] == {"name": "letsencrypt", "kind": "ClusterIssuer", "group": "cert-manager.io"}
    assert spec["privateKey"] == {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"}
