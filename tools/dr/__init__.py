"""Disaster recovery: what a plan protects (``targets``), the account's evidence that it is protected
(``verify``), a timed restore of a datastore into an isolated copy (``drill``) and the runbook for
losing the primary region (``runbook``). Library code: boto3 and the offline plan, no CLI; failures
are ordinary exceptions (``AwsError`` for a failed AWS call, ``DrillError`` for a failed drill).
"""
