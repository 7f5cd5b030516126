"""The platform's datastores: one component per file, each private, encrypted with a customer-managed
KMS key of its data domain, admitting only the security groups it is given, with its generated
credentials in AWS Secrets Manager (delivered to the cluster by :mod:`.external_secrets`)."""
