"""Values that look like credentials (tokens, keys, webhook URLs, passwords in URLs): the pack's own
copy of the platform's patterns, so the pack imports nothing of the platform and can be published
alone (a test holds the two copies together)."""

from __future__ import annotations

import math
import re
from collections import Counter

# (what it is, pattern): well-known shapes first.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (what, re.compile(pattern))
    for what, pattern in (
        ("an AWS access key id", r"\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b"),
        ("a private key", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY"),
        ("a base64-encoded PEM block", r"LS0tLS1CRUdJTi[A-Za-z0-9+/]{20,}"),
        ("a GitHub token", r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
        ("a GitLab token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
        ("a Slack token", r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
        ("a Slack webhook URL", r"hooks\.slack\.com/(services|workflows|triggers)/"),
        ("a Discord webhook URL", r"discord(app)?\.com/api/webhooks/"),
        ("a Microsoft Teams webhook URL", r"\.webhook\.office\.com/|/webhookb2/"),
        ("a Stripe key", r"\b[rs]k_(live|test)_[A-Za-z0-9]{16,}"),
        ("a Google API key", r"\bAIza[0-9A-Za-z_-]{35}"),
        ("an API key", r"\bsk-(ant-|proj-)?[A-Za-z0-9_-]{20,}"),
        ("a SendGrid key", r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"),
        ("an npm token", r"\bnpm_[A-Za-z0-9]{30,}"),
        ("a JSON Web Token", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\."),
        ("a password in a URL", r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@"),
        ("an authorization header", r"(?i)\b(bearer|basic)\s+[A-Za-z0-9+/=._-]{16,}"),
        ("a password argument", r"(?i)--?(password|passwd|pwd|secret|token|api-?key|auth-token)[= ]\S+"),
    )
)
_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{32,}")


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def credential_kind(value: str) -> str | None:
    """What ``value`` looks like (``"a GitHub token"``), or None when it looks like no credential.

    Besides the known shapes, a run of 32 or more token characters mixing upper case, lower case and
    digits with high entropy (a random key) counts; hexadecimal digests and words do not."""
    for what, pattern in PATTERNS:
        if pattern.search(value):
            return what
    for token in _TOKEN.findall(value):
        classes = sum(1 for test in (str.isupper, str.islower, str.isdigit) if any(test(c) for c in token))
        if classes == 3 and _entropy(token) >= 4.0:
            return "a random key"
    return None
