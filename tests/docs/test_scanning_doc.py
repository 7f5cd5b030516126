"""docs/scanning.md: its accepted-findings table is policies/accepted-findings.yaml's, and the
README links the page."""

from __future__ import annotations

from pathlib import Path

from tools.scan.accepted import load
from tools.scan.doc import BEGIN, END, table

ROOT = Path(__file__).resolve().parents[2]


def test_the_accepted_findings_table_is_generated_from_the_file() -> None:
    page = (ROOT / "docs" / "scanning.md").read_text(encoding="utf-8")
    generated = table(load(ROOT / "policies" / "accepted-findings.yaml"))
    assert f"{BEGIN}\n{generated}\n{END}" in page, "run `make scan-doc` to regenerate the table of docs/scanning.md"
    assert generated.count("\n| `CKV") >= 1


def test_the_readme_and_security_page_link_the_scanning_page() -> None:
    assert "(docs/scanning.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(scanning.md)" in (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
