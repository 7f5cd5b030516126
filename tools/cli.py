"""The ``infra`` command: parses flags, calls the library, formats, maps errors to exit codes.

``infra plan --stack NAME [--config-file PATH] [--out DIR]`` plans a stack offline with
``tools.plan.plan_stack`` (no Pulumi CLI, no credentials, no network) and writes ``plan.json``,
``manifests/``, ``helm/``, ``graph.dot`` to DIR (default ``build/plan/<stack>/``).
``infra check`` runs the policy pack's rules over a plan (``tools.check``); ``infra rules`` lists them.
``infra scan`` runs checkov over a plan's Kubernetes objects and AWS resources (``tools.scan``), each
finding held against ``policies/accepted-findings.yaml``.
``infra dr verify|drill|plan``: disaster recovery (``tools.dr``): backups and copies checked against the
account, a timed restore drill, the runbook for losing the primary region (docs/backups.md).

Exit codes: 0 done; 1 the plan failed (``PlanError``) or a mandatory rule is violated; 2 bad input
(configuration, stack file, arguments: ``ConfigError``), with one line naming the key and what is
allowed.
"""

from __future__ import annotations

import os
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer

from infra.config import ConfigError
from infra.config.errors import escaped
from tools.plan import PlanError, PlanResult, plan_stack

# No rich tracebacks with local variables: a program error must not print configuration values.
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Offline plan and checks of the platform.",
    pretty_exceptions_show_locals=False,
)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    typer.echo(f"error: {escaped(message)}", err=True)
    return typer.Exit(code)


@app.callback()
def main_callback() -> None:
    """Offline plan and checks of the platform."""


@app.command()
def plan(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name: dev, staging, prod, or your own.")],
    config_file: Annotated[
        Path | None, typer.Option("--config-file", help="Use this stack file instead of stacks/Pulumi.<stack>.yaml.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output folder (default build/plan/<stack>).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only where the plan went.")] = False,
) -> None:
    """Plan a stack offline: plan.json (pulumi stack export shape), manifests/, helm/, graph.dot."""
    result = _plan(stack, config_file, out)
    if quiet:
        typer.echo(str(result.out))
    else:
        typer.echo(summary(result))


@app.command()
def check(
    stack: Annotated[str | None, typer.Option("--stack", "-s", help="Plan this stack offline, then check it.")] = None,
    plan_file: Annotated[
        Path | None, typer.Option("--plan", help="Check a plan.json from infra plan, or a `pulumi stack export` file.")
    ] = None,
    config_file: Annotated[
        Path | None, typer.Option("--config-file", help="With --stack: use this stack file.")
    ] = None,
    policy_config: Annotated[
        Path | None, typer.Option("--policy-config", help="JSON {rule: {key: value}}, as --policy-pack-config.")
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    out: Annotated[Path | None, typer.Option("--out", help="With --stack: plan output folder.")] = None,
    render_charts: Annotated[
        bool, typer.Option("--render", help="Render every Helm release and check what it renders too.")
    ] = False,
    charts_dir: Annotated[Path | None, typer.Option("--charts-dir", help="With --render: charts folder.")] = None,
    rendered: Annotated[
        Path | None, typer.Option("--rendered", help="Check the objects infra render wrote to this folder.")
    ] = None,
) -> None:
    """Run the policy pack's rules offline. Exit 1 on any mandatory violation, 0 when clean, 2 on bad input."""
    from policies.rules import ALL_POLICIES
    from tools.check import CheckInputError, format_json, format_text, load_policy_config
    from tools.check import check as run_checks
    from tools.insights.budget import violations as budget_violations

    _one_of(stack, plan_file)
    _format(output_format)
    rule_config: dict[str, Any] = {}
    if policy_config is not None:
        try:
            rule_config = load_policy_config(policy_config, ALL_POLICIES)
        except CheckInputError as error:
            raise _fail(str(error)) from None
    # With --stack the plan is kept (in --out, or build/plan/<stack>): what was checked can be read.
    resources = _resources(stack, plan_file, config_file, keep=True, out=out)

    try:
        violations = run_checks(resources, ALL_POLICIES, rule_config)
        violations += budget_violations(resources)  # platform:budget against infra cost's estimate
    except CheckInputError as error:
        raise _fail(str(error)) from None
    typer.echo(format_json(violations) if output_format == "json" else format_text(violations))
    failed = any(v.mandatory for v in violations)
    if render_charts or rendered is not None:
        from tools.render.command import check_rendered_folder, run_render

        if render_charts:
            rendered = Path("build/render") / (stack or "plan")
            failed |= run_render(resources, rendered, charts_dir, True, _fail).failed
        assert rendered is not None
        failed |= check_rendered_folder(resources, rendered, rule_config, _fail)
    if failed:
        raise typer.Exit(EXIT_FAILED)


@app.command("render")
def render_command(
    stack: Annotated[str | None, typer.Option("--stack", "-s", help="Plan this stack offline, then render.")] = None,
    plan_file: Annotated[Path | None, typer.Option("--plan", help="Render the releases of this plan.json.")] = None,
    charts_dir: Annotated[
        Path | None, typer.Option("--charts-dir", help="Charts: <chart>-<version>/, <chart>/ or .tgz.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output folder (default build/render/<stack>).")] = None,
    no_pull: Annotated[bool, typer.Option("--no-pull", help="Never pull a chart from its repository.")] = False,
) -> None:
    """Render every Helm release with its pinned chart, as helm template would for the cluster.
    Exit 1 on a render error or an unknown values key, 2 on bad input."""
    from tools.render.command import run_render

    resources = _resources(stack, plan_file)
    target = out or Path("build/render") / (stack or "plan")
    if run_render(resources, target, charts_dir, not no_pull, _fail).failed:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def scan(
    stack: Annotated[str | None, typer.Option("--stack", "-s", help="Plan this stack offline, then scan it.")] = None,
    plan_file: Annotated[
        Path | None, typer.Option("--plan", help="Scan a plan.json from infra plan, or a `pulumi stack export` file.")
    ] = None,
    rendered: Annotated[
        Path | None, typer.Option("--rendered", help="Scan the objects infra render wrote to this folder too.")
    ] = None,
    accepted_file: Annotated[
        Path | None, typer.Option("--accepted", help="Accepted findings (default policies/accepted-findings.yaml).")
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    config_file: Annotated[
        Path | None, typer.Option("--config-file", help="With --stack: use this stack file.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for what checkov reads (default build/scan/<stack>).")
    ] = None,
) -> None:
    """checkov over the plan's Kubernetes objects and its AWS resources (as a Terraform plan), and the
    rendered charts with --rendered. Exit 1 on a finding not in the accepted findings, 0 when clean,
    2 on bad input or checkov missing (make scan-setup)."""
    from tools.plan import project_root
    from tools.render.render import RenderInputError, read_rendered
    from tools.scan.accepted import AcceptedInputError, load
    from tools.scan.scan import ScanInputError, checkov_binary, format_json, format_text
    from tools.scan.scan import scan as run_scan

    _one_of(stack, plan_file)
    _format(output_format)
    root = project_root()
    try:
        accepted = load(accepted_file or root / "policies" / "accepted-findings.yaml")
        binary = checkov_binary(root)
        releases = read_rendered(rendered) if rendered is not None else None
    except (AcceptedInputError, ScanInputError, RenderInputError) as error:
        raise _fail(str(error)) from None
    resources = _resources(stack, plan_file, config_file)
    name = stack or (plan_file.parent.name if plan_file is not None else "plan")
    try:
        result = run_scan(resources, out or root / "build" / "scan" / name, accepted, binary, releases)
    except ScanInputError as error:
        raise _fail(str(error)) from None
    typer.echo(format_json(result) if output_format == "json" else format_text(result))
    if result.failed:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def rules() -> None:
    """Print the policy pack's rules as a Markdown table (docs/policies.md is generated from it)."""
    from policies.rules import ALL_POLICIES
    from tools.check import rules_table

    typer.echo(rules_table(ALL_POLICIES))


dr_app = typer.Typer(
    no_args_is_help=True,
    help="Disaster recovery: verify backups and copies, drill a restore, the region-loss runbook.",
)
app.add_typer(dr_app, name="dr")

StackOption = Annotated[str | None, typer.Option("--stack", "-s", help="Plan this stack offline.")]
ConfigFileOption = Annotated[
    Path | None, typer.Option("--config-file", help="Use this stack file instead of stacks/Pulumi.<stack>.yaml.")
]
FormatOption = Annotated[str, typer.Option("--format", help="text or json.")]


def _stack_config(stack: str, config_file: Path | None) -> Any:
    from infra.config import config_from_stack_file, read_stack_file
    from tools.plan import project_root
    from tools.plan_folder import check_stack_name

    try:
        check_stack_name(stack)
        return config_from_stack_file(
            read_stack_file(config_file or project_root() / "stacks" / f"Pulumi.{stack}.yaml")
        )
    except ConfigError as error:
        raise _fail(str(error)) from None


def _format(output_format: str) -> str:
    if output_format not in ("text", "json"):
        raise _fail(f"--format: {output_format!r} is not allowed (allowed: text, json)")
    return output_format


@dr_app.command("verify")
def dr_verify(
    stack: StackOption = None,
    plan_file: Annotated[Path | None, typer.Option("--plan", help="A plan.json or `pulumi stack export` file.")] = None,
    config_file: ConfigFileOption = None,
    output_format: FormatOption = "text",
    now: Annotated[str | None, typer.Option("--now", help="Check as of this ISO 8601 time (default: now).")] = None,
) -> None:
    """Check the account: recovery points within the RPO, copies in the backup region, replication,
    vault lock and retention. Exit 0 all met, 1 on any breach or a failed AWS call, 2 on bad input."""
    from datetime import UTC, datetime

    from tools.dr import verify
    from tools.dr.aws import AwsError
    from tools.dr.targets import read_targets

    _one_of(stack, plan_file)
    _format(output_format)
    moment = datetime.now(UTC)
    if now is not None:
        try:
            moment = datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError:
            raise _fail(f"--now: {now!r} is not an ISO 8601 time like 2026-12-01T03:00:00Z") from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if plan_file is not None:
        resources = _resources(None, plan_file)
        name = resources[0]["urn"].split("::")[0].removeprefix("urn:pulumi:") if resources else ""
        if config_file is None and not name:
            raise _fail("--plan: give --config-file too (the plan names no stack)")
        cfg = _stack_config(name, config_file)
    else:
        assert stack is not None
        cfg = _stack_config(stack, config_file)
        resources = _resources(stack, None, config_file)
    targets = read_targets(resources, cfg.region)
    try:
        findings = verify.verify(targets, cfg.backups, cfg.backup_region, moment, dr_clients())
    except AwsError as error:
        raise _fail(str(error), EXIT_BAD_INPUT if error.bad_input else EXIT_FAILED) from None
    render = verify.format_json if output_format == "json" else verify.format_text
    typer.echo(render(findings, moment))
    if not all(f.met for f in findings):
        raise typer.Exit(EXIT_FAILED)


@dr_app.command("drill")
def dr_drill(
    stack: Annotated[str, typer.Option("--stack", "-s", help="The stack whose datastore is drilled.")],
    datastore: Annotated[str, typer.Option("--datastore", help="postgres or documentdb.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the steps; call nothing.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Minutes to wait for the copy.", min=1)] = 120,
    config_file: ConfigFileOption = None,
) -> None:
    """Restore the newest snapshot into an isolated copy, time it against the RTO, delete the copy.
    Exit 0 restored within the RTO, 1 over it or failed, 2 on bad input."""
    from datetime import UTC, datetime

    from tools.dr.aws import AwsError
    from tools.dr.drill import KINDS, DrillError, DrillSource, copy_name, drill, steps
    from tools.dr.targets import read_targets

    if datastore not in KINDS:
        raise _fail(f"--datastore: {datastore!r} is not allowed (allowed: {', '.join(KINDS)})")
    cfg = _stack_config(stack, config_file)
    targets = read_targets(_planned(stack, config_file), cfg.region)
    found = next((d for d in targets.datastores if d.kind == datastore and d.identifier), None)
    if found is None:
        raise _fail(f"--datastore: stack {stack!r} has no {datastore}")
    source = DrillSource(datastore, found.identifier, found.region)
    rto = cfg.backups.rto_minutes
    if dry_run:
        copy = copy_name(source.identifier, datetime.now(UTC))
        typer.echo(f"Drill of {datastore} {source.identifier} in {source.region} (dry run: nothing is called)")
        for number, step in enumerate(steps(source, copy), start=1):
            typer.echo(f"{number}. {step}")
        return
    try:
        result = drill(source, dr_clients(), timeout_minutes=timeout, echo=typer.echo)
    except (DrillError, AwsError) as error:
        raise _fail(f"drill failed: {error}", EXIT_FAILED) from None
    except KeyboardInterrupt:
        raise _fail("drill interrupted; the copy was cleaned up", EXIT_FAILED) from None
    for problem in result.problems:
        typer.echo(f"error: {problem}", err=True)
    seconds = result.seconds or 0.0
    verdict = "within" if result.within(rto) else "OVER"
    typer.echo(f"Restored {result.snapshot} in {seconds / 60:.1f} min: {verdict} the RTO of {rto} min")
    if not result.within(rto):
        raise typer.Exit(EXIT_FAILED)


@dr_app.command("plan")
def dr_plan(
    stack: Annotated[str, typer.Option("--stack", "-s", help="The stack whose primary region is lost.")],
    config_file: ConfigFileOption = None,
    output_format: FormatOption = "text",
) -> None:
    """The runbook for losing the primary region, with estimated times. Exit 1 when over the RTO."""
    from tools.dr.runbook import format_json, format_text, runbook

    _format(output_format)
    cfg = _stack_config(stack, config_file)
    resources = _planned(stack, config_file)
    book = runbook(stack, resources, cfg.region, cfg.backup_region, cfg.backups.rto_minutes)
    typer.echo(format_json(book) if output_format == "json" else format_text(book))
    if not book.within:
        raise typer.Exit(EXIT_FAILED)


def _planned(stack: str, config_file: Path | None) -> list[dict[str, Any]]:
    """The stack's plan, written to a temporary folder: the commands read it and keep nothing."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix=f"infra-{stack}-") as folder:
        return _plan(stack, config_file, Path(folder)).resources


def dr_clients() -> Any:
    """AWS clients of the dr commands (boto3's default credential chain); tests replace this."""
    from tools.dr.aws import session_clients

    return session_clients()


def _plan(stack: str, config_file: Path | None, out: Path | None) -> PlanResult:
    """The library's plan, its exceptions turned into the command's messages and exit codes."""
    try:
        return plan_stack(stack, config_file, out)
    except ConfigError as error:
        raise _fail(str(error)) from None
    except PlanError as error:
        for line in error.problems:
            typer.echo(f"error: {line}", err=True)
        raise typer.Exit(EXIT_FAILED) from None


def summary(result: PlanResult) -> str:
    resources = result.resources
    stack_urn = resources[0]["urn"] if resources else ""
    top_components = {
        r["urn"]: r["urn"].rsplit("::", 1)[-1] for r in resources if not r["custom"] and r.get("parent") == stack_urn
    }
    by_urn = {r["urn"]: r for r in resources}

    def component_of(r: dict[str, Any]) -> str:
        node: dict[str, Any] | None = r
        while node is not None:
            if node["urn"] in top_components:
                return top_components[node["urn"]]
            node = by_urn.get(node.get("parent", ""))
        return "(stack)"

    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for r in resources:
        if r["custom"]:
            counts[component_of(r)][r["type"]] += 1
    total = sum(sum(c.values()) for c in counts.values())
    lines = [f"Offline plan of stack {result.stack!r}: {total} resources in {result.seconds:.1f} s"]
    for component in sorted(counts):
        c = counts[component]
        lines.append(f"  {component} ({sum(c.values())})")
        for kind, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"    {n:3d}  {kind}")
    timing = result.estimate
    steps = " -> ".join(urn.rsplit("::", 1)[-1] for urn in timing.critical_path)
    lines.append(f"Estimated `pulumi up` from scratch: {timing.total_seconds / 60:.0f} min (critical path: {steps})")
    out = result.out
    lines.append(f"Wrote {out / 'plan.json'}")
    lines.append(f"      {out / 'manifests'}/ ({result.objects} objects), {out / 'helm'}/ ({result.releases} releases)")
    lines.append(f"      {out / 'graph.dot'}")
    lines.append(f"Manifests of built-in kinds valid against the Kubernetes {result.kubernetes_version} schema")
    return "\n".join(lines)


def run(argv: list[str] | None = None) -> int:
    """The command's exit code for ``argv``. Every failure is one line on stderr: a usage error (an
    unknown flag, a missing or malformed value) exits 2, an error of the program itself 1; never a
    traceback (it could print configuration values)."""
    try:
        result = app(args=argv, standalone_mode=False, prog_name="infra")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (EXIT_OK if done.code is None else EXIT_FAILED)
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        return 130
    except Exception as error:  # usage errors carry a message and an exit code (click's UsageError)
        if type(error).__name__ == "NoArgsIsHelpError":
            return EXIT_BAD_INPUT
        format_message = getattr(error, "format_message", None)
        if callable(format_message) and isinstance(getattr(error, "exit_code", None), int):
            typer.echo(f"error: {escaped(' '.join(str(format_message()).split()))}", err=True)
            return int(getattr(error, "exit_code", EXIT_BAD_INPUT)) or EXIT_BAD_INPUT
        typer.echo(f"error: the command failed ({type(error).__name__}: {escaped(str(error))[:300]})", err=True)
        return EXIT_FAILED
    return result if isinstance(result, int) else EXIT_OK


def main() -> None:
    code = run()
    sys.stdout.flush()
    sys.stderr.flush()
    # The mock runtime leaves an asyncio loop whose finaliser complains at interpreter exit.
    os._exit(code)


# Plan insights (tools.insights): cost, duration and critical path, diff, lifecycle, picture.
PlanOption = Annotated[Path | None, typer.Option("--plan", help="A plan.json or `pulumi stack export` file.")]


def _one_of(stack: str | None, plan_file: Path | None) -> None:
    if (stack is None) == (plan_file is None):
        raise _fail("give exactly one of --stack NAME or --plan FILE")


def _resources(
    stack: str | None,
    plan_file: Path | None,
    config_file: Path | None = None,
    keep: bool = False,
    out: Path | None = None,
) -> list[dict[str, Any]]:
    """The resources of --plan FILE, or of --stack NAME planned offline: into a temporary folder, or,
    with ``keep``, into ``out`` (default build/plan/<stack>), where the plan stays."""
    from tools.check import CheckInputError, load_resources

    _one_of(stack, plan_file)
    if plan_file is not None:
        try:
            return load_resources(plan_file)
        except CheckInputError as error:
            raise _fail(str(error)) from None
    assert stack is not None
    if keep:
        return _plan(stack, config_file, out).resources
    return _planned(stack, config_file)


def _choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise _fail(f"{option}: {value!r} is not allowed (allowed: {', '.join(allowed)})")
    return value


@app.command()
def insights(
    stack: StackOption = None,
    plan_file: PlanOption = None,
    base: Annotated[
        Path | None, typer.Option("--base", help="The plan or export deployed now: estimate the update to --plan.")
    ] = None,
    config_file: ConfigFileOption = None,
    today: Annotated[str | None, typer.Option("--today", help="Check support dates as of YYYY-MM-DD.")] = None,
) -> None:
    """Estimated `pulumi up` (from scratch, or the update from --base), its critical path against the
    one of the dependencies really needed, and lifecycle (EKS support, pins, retired pieces). Exit 1
    when the Kubernetes version is past EKS extended support."""
    from datetime import date

    from tools.check import CheckInputError, load_resources
    from tools.insights import lifecycle, timing
    from tools.insights.plans import stack_name
    from tools.insights.update import update_weights
    from tools.plan import project_root

    resources = _resources(stack, plan_file, config_file)
    weights = None
    if base is not None:
        try:
            weights = update_weights(load_resources(base), resources)
        except CheckInputError as error:
            raise _fail(str(error)) from None
    try:
        moment = date.fromisoformat(today) if today else date.today()
    except ValueError:
        raise _fail(f"--today: {today!r} is not a date like 2026-12-01") from None
    name = stack or stack_name(resources)
    typer.echo(timing.format_text(name, timing.insight(resources, weights), update=base is not None))
    version = lifecycle.cluster_version(resources)
    findings = (lifecycle.kubernetes_findings(version, moment) if version else []) + lifecycle.retired(resources)
    typer.echo(lifecycle.format_text(findings, lifecycle.pins(resources, project_root())))
    if any(f.level == "fail" for f in findings):
        raise typer.Exit(EXIT_FAILED)


@app.command()
def cost(
    stack: Annotated[
        list[str] | None, typer.Option("--stack", "-s", help="Plan this stack offline; repeat to compare stacks.")
    ] = None,
    plan_file: Annotated[list[Path] | None, typer.Option("--plan", help="A plan.json or export; repeatable.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text, json or markdown.")] = "text",
) -> None:
    """Monthly on-demand cost per resource, per component and in total, with its assumptions; several
    stacks side by side."""
    from tools.insights import cost as costs
    from tools.insights.plans import stack_name

    _choice("--format", output_format, ("text", "json", "markdown"))
    if not stack and not plan_file:
        raise _fail("give --stack NAME or --plan FILE (each may be repeated)")
    reports = [costs.estimate(_resources(s, None), s) for s in stack or []]
    for path in plan_file or []:
        resources = _resources(None, path)
        reports.append(costs.estimate(resources, stack_name(resources) or path.stem))
    render = {"text": costs.format_text, "json": costs.format_json, "markdown": costs.format_markdown}
    typer.echo(render[output_format](reports))


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The older plan.json or `pulumi stack export` file.")],
    new: Annotated[Path, typer.Argument(help="The newer one.")],
    output_format: Annotated[str, typer.Option("--format", help="text, json or markdown.")] = "text",
    title: Annotated[str | None, typer.Option("--title", help="Heading of the markdown output.")] = None,
) -> None:
    """Resources added, removed and changed (input paths, secrets masked), replacements flagged
    (stateful ones first), moves through aliases, the monthly cost delta."""
    from tools.insights import diff as diffs

    _choice("--format", output_format, ("text", "json", "markdown"))
    result = diffs.diff(_resources(None, old), _resources(None, new))
    if output_format == "markdown":
        typer.echo(diffs.format_markdown(result, title))
    else:
        typer.echo(diffs.format_json(result) if output_format == "json" else diffs.format_text(result))


@app.command()
def graph(
    stack: StackOption = None,
    plan_file: PlanOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the files (default build/graph/<stack>).")
    ] = None,
    config_file: ConfigFileOption = None,
) -> None:
    """The component tree and the dependency graph as Mermaid (components.mmd, dependencies.mmd) and,
    where Graphviz is installed, dependencies.svg."""
    from tools.insights import graph as graphs
    from tools.insights.plans import stack_name
    from tools.plan import project_root

    resources = _resources(stack, plan_file, config_file)
    folder = out or project_root() / "build" / "graph" / (stack or stack_name(resources) or "plan")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "components.mmd").write_text(graphs.tree(resources), encoding="utf-8")
        (folder / "dependencies.mmd").write_text(graphs.dependencies(resources), encoding="utf-8")
        picture = graphs.svg(resources)
        if picture is not None:
            (folder / "dependencies.svg").write_text(picture, encoding="utf-8")
    except OSError as error:
        raise _fail(f"--out: cannot write under {folder} ({error.strerror or error})") from None
    typer.echo(f"Wrote {folder / 'components.mmd'}")
    typer.echo(f"      {folder / 'dependencies.mmd'}")
    typer.echo(
        f"      {folder / 'dependencies.svg'}" if picture is not None else "      (no SVG: Graphviz not installed)"
    )


if __name__ == "__main__":
    main()
