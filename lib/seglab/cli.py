"""The ``seglab`` command line (README "Command line").

Exit codes: 0 success, 2 the user's params or data need fixing (one line on
stderr starting ``seglab: error:``), 1 an internal error. ``--debug`` shows
tracebacks.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import traceback
from pathlib import Path

from seglab import __version__
from seglab.errors import SeglabError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="seglab", description="Customer segmentation runs: params file in, report out.")
    p.add_argument("--version", action="version", version=f"seglab {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("run", help="run one or more segmentations (params files or folders of them)")
    r.add_argument("params", nargs="+", type=Path, help="params YAML files, or folders of them")
    r.add_argument("--out", type=Path,
                   help="reports root (default: the params' output_dir, else $SEGLAB_REPORTS, else reports/ beside params/)")
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                   help="override a param, e.g. --set segmentation.k=5 (repeatable)")
    r.add_argument("--no-notebooks", action="store_true",
                   help="call the stages directly instead of executing the notebooks (faster, no appendix)")
    r.add_argument("--quiet", action="store_true", help="no progress bars")

    i = sub.add_parser("init", help="draft a commented params file for your own data")
    i.add_argument("data", type=Path, nargs="?", help="customers file (an order log alone is read as transactions)")
    i.add_argument("--transactions", type=Path, help="transactions file (one line per purchase)")
    i.add_argument("--out", type=Path, required=True, help="params file to write, e.g. params/mydata.yaml")
    i.add_argument("--force", action="store_true", help="replace --out if it exists")

    v = sub.add_parser("validate", help="check params, input files and the output folder; runs nothing")
    v.add_argument("params", type=Path)
    v.add_argument("--out", type=Path, help="reports root the run will use (default: as seglab run)")
    v.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")

    d = sub.add_parser("demo-data", help="write the demo data set")
    d.add_argument("--out", type=Path, help="folder to write (default: data/demo for the retail demo, "
                   "data/case_studies/NAME for a case study, data/SCENARIO otherwise)")
    d.add_argument("--customers", type=int, help="how many (default: 10,000; a case study's own size)")
    d.add_argument("--seed", type=int, help="random seed (default: 42; a case study's own seed)")
    d.add_argument("--scenario", default="retail",
                   help="which demo or case-study data set; 'campaign' simulates a campaign on --run's audiences")
    d.add_argument("--run", type=Path, help="with --scenario campaign: the run folder whose audiences the campaign used")

    ls = sub.add_parser("runs", help="list runs and rebuild reports/index.html")
    ls.add_argument("--out", type=Path, help="reports root (default: $SEGLAB_REPORTS, else reports/)")
    ls.add_argument("--prune", type=float, metavar="HOURS",
                    help="delete the working folders of interrupted runs older than HOURS")

    s = sub.add_parser("schema", help="print the JSON Schema of params files (or of a run folder's JSON files)")
    s.add_argument("--artifact", metavar="NAME",
                   help="the schema of a run folder's JSON file instead (quality, features, segmentation, "
                        "segments, manifest, compare); 'list' lists them")
    s.add_argument("--out", type=Path, help="write to this file instead of stdout")

    a = sub.add_parser("assign", help="segment new customers with a saved model")
    a.add_argument("model", type=Path, help="model.joblib of a run (or the run folder)")
    a.add_argument("data", type=Path, help="customers file (same columns as the run's input)")
    a.add_argument("--transactions", type=Path, help="their transactions")
    a.add_argument("--as-of", dest="as_of", help="reference date (default: the run's)")
    a.add_argument("--out", type=Path, help="CSV to write (default: stdout)")

    m = sub.add_parser("measure", help="a campaign's results per segment: treatment vs control, uplift with 95%% intervals")
    m.add_argument("run", type=Path, help="the run folder whose targeting/ audiences the campaign used")
    src = m.add_mutually_exclusive_group(required=True)
    src.add_argument("--responses", type=Path, help="campaign results: CSV, TSV, Excel or Parquet")
    src.add_argument("--responses-sql", metavar="QUERY", help="campaign results from a SQL query (with --db-url)")
    m.add_argument("--db-url", default="sqlite:///data.db", help="SQLAlchemy URL for --responses-sql")
    m.add_argument("--sheet", help="Excel sheet name or 0-based index")
    m.add_argument("--encoding", default="auto", help="text encoding of the file (default: detected)")
    m.add_argument("--start", help="first day of the campaign, YYYY-MM-DD (default: the day after the run's data)")
    m.add_argument("--end", help="last day of the campaign, YYYY-MM-DD (default: none)")
    for role, example in (("id", "customer_id"), ("responded", "converted"), ("revenue", "order_value"),
                          ("date", "response_date"), ("group", "arm")):
        m.add_argument(f"--{role}-column", metavar="NAME", help=f"the column of the {role} (recognised by its name, "
                                                                f"e.g. {example}, when not given)")
    m.add_argument("--date-format", metavar="FORMAT", help="strftime format of the dates, e.g. %%d/%%m/%%Y")
    m.add_argument("--cost-per-contact", type=float, default=0.0, metavar="MONEY",
                   help="cost of the action per treated customer, set against the revenue uplift (default 0)")
    m.add_argument("--confidence", type=float, default=0.95, metavar="LEVEL",
                   help="level of every interval (default 0.95)")
    m.add_argument("--out", type=Path, help="folder for measure.json and measure.html (default: RUN)")

    c = sub.add_parser("compare", help="migration between two runs of one segmentation")
    c.add_argument("run_a", type=Path)
    c.add_argument("run_b", type=Path)
    c.add_argument("--out", type=Path, help="folder for compare.html and compare.json (default: RUN_B)")
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args) or 0
    except SeglabError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"seglab: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `seglab schema | head`: the reader left, nothing is wrong
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except KeyboardInterrupt:
        print("seglab: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if args.debug:
            traceback.print_exc()
        print(f"seglab: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
              file=sys.stderr)
        return 1


# ---------------------------------------------------------------- commands

def _params_files(items: list[Path]) -> list[Path]:
    files = []
    for item in items:
        if item.is_dir():
            found = sorted(list(item.glob("*.yaml")) + list(item.glob("*.yml")))
            if not found:
                raise SeglabError(f"{item}: folder holds no .yaml params files")
            files.extend(found)
        else:
            files.append(item)
    return files


def cmd_run(args) -> int:
    from seglab.config import load_config  # lazy: start-up time
    from seglab.pipeline.execute import execute  # lazy: start-up time

    files = _params_files(args.params)
    if len(files) == 1:
        cfg = load_config(files[0], args.overrides)
        folder = execute(cfg, out=args.out, notebooks=not args.no_notebooks, progress=not args.quiet)
        print(folder / "report.html")
        return 0
    # A batch (cron): every run is tried; failures are reported, not fatal.
    results = []
    for path in files:
        try:
            cfg = load_config(path, args.overrides)
            folder = execute(cfg, out=args.out, notebooks=not args.no_notebooks, progress=not args.quiet)
            results.append((path, "complete", str(folder / "report.html")))
        except SeglabError as exc:
            results.append((path, "failed", f"error: {exc}"))
        except Exception as exc:  # noqa: BLE001 - a batch goes on past one broken run
            if args.debug:
                traceback.print_exc()
            results.append((path, "failed", f"internal error: {type(exc).__name__}: {exc}"))
    width = max(len(str(p)) for p, _, _ in results)
    print("\n".join(f"{str(p):<{width}}  {s:<8}  {d}" for p, s, d in results), file=sys.stderr)
    failed = sum(s != "complete" for _, s, _ in results)
    print(f"seglab: {len(results) - failed} complete, {failed} failed", file=sys.stderr)
    for _, status, detail in results:
        if status == "complete":
            print(detail)
    return 2 if failed else 0


def cmd_init(args) -> int:
    from seglab.config import load_config  # lazy: start-up time
    from seglab.scaffold import describe, write_params  # lazy: start-up time

    draft = write_params(args.out, customers=args.data, transactions=args.transactions, force=args.force)
    for note in draft.notes:
        print(f"seglab init: {note}", file=sys.stderr)
    print(f"seglab init: {describe(load_config(args.out))}; lines marked CHECK need your eye", file=sys.stderr)
    print(args.out)
    return 0


def cmd_validate(args) -> int:
    from seglab.config import load_config  # lazy: start-up time
    from seglab.validation import validate  # lazy: start-up time

    cfg = load_config(args.params, args.overrides)
    inputs = validate(cfg, out=args.out)
    for item in inputs:
        print(f"{item['role']}: {item['path']} — {item['rows']} rows, {len(item.get('columns') or [])} columns"
              f"{', encoding ' + item['encoding'] if item.get('encoding') else ''}")
        for finding in item.get("personal_data", []):
            kinds = ", ".join(f"{n} {kind}" for kind, n in finding["kinds"].items())
            print(f"seglab: warning: {item['path']}: column '{finding['column']}' looks like personal data ({kinds} "
                  f"values) and reaches the outputs as it is; {finding['fix']}", file=sys.stderr)
    print(f"output: {args.out or cfg.reports_root()} (writable)")
    print(f"{args.params}: ok")
    return 0


def cmd_demo_data(args) -> int:
    if args.scenario == "campaign":
        return _campaign_demo(args)
    from seglab.demo.generate import (  # lazy: start-up time
        CASE_STUDY_DATA,
        CASE_STUDY_SEED,
        write_demo_data,
    )

    case = args.scenario in CASE_STUDY_DATA  # committed case-study data is regenerated exactly by default
    customers = args.customers if args.customers is not None else CASE_STUDY_DATA.get(args.scenario, 10_000)
    seed = args.seed if args.seed is not None else (CASE_STUDY_SEED if case else 42)
    out = args.out or _demo_data_folder(args.scenario, case)
    paths = write_demo_data(out, n_customers=customers, seed=seed, scenario=args.scenario)
    for p in paths.values():
        print(p)
    if args.scenario == "retail_shift":
        from seglab.demo.retail_shift import SHIFT_AS_OF  # lazy: start-up time

        if str(datetime.date.today()) < SHIFT_AS_OF:
            print(f"seglab: note: this export runs to {SHIFT_AS_OF}, after today's date; runs of it need "
                  f"data.as_of: {SHIFT_AS_OF} (params/demo_shift.yaml has it), or the later lines are set aside "
                  "as dated in the future", file=sys.stderr)
    return 0


def _demo_data_folder(scenario: str, case_study: bool) -> Path:
    """Where a data set goes by default: never over the committed retail demo unless it is the retail demo."""
    if scenario == "retail":
        return Path("data/demo")
    return Path("data/case_studies") / scenario if case_study else Path("data") / scenario


def _campaign_demo(args) -> int:
    from seglab.demo.campaign import write_campaign  # lazy: start-up time

    if args.run is None:
        raise SeglabError("demo-data --scenario campaign: give --run RUN, the run folder whose audiences "
                          "the campaign used (reports/<run_name>/<stamp>)")
    out = args.out or _demo_data_folder("campaign", False)
    paths = write_campaign(args.run, out, seed=args.seed if args.seed is not None else 42)
    for p in paths.values():
        print(p)
    return 0


def cmd_measure(args) -> int:
    from seglab.pipeline.measure import measure_run  # lazy: start-up time

    if args.responses is not None:
        source = {"path": str(args.responses), **({"sheet": _sheet(args.sheet)} if args.sheet else {})}
        if not args.responses.exists():
            raise SeglabError(f"{args.responses}: responses file not found")
    else:
        source = {"sql": args.responses_sql, "url": args.db_url}
    columns = {"customer_id": args.id_column, "responded": args.responded_column, "revenue": args.revenue_column,
               "date": args.date_column, "group": args.group_column}
    page = measure_run(args.run, source, out=args.out, start=args.start, end=args.end, columns=columns,
                       date_format=args.date_format, cost_per_contact=args.cost_per_contact,
                       confidence=args.confidence, encoding=args.encoding)
    print(page)
    return 0


def _sheet(value: str):
    return int(value) if value.isdigit() else value


def cmd_runs(args) -> int:
    from seglab.config import REPORTS_ENV  # lazy: start-up time
    from seglab.pipeline.runs import list_runs, write_index  # lazy: start-up time

    args.out = args.out or Path(os.environ.get(REPORTS_ENV) or "reports")

    if args.prune is not None:
        from seglab.pipeline.runs import remove_stale  # lazy: start-up time

        for path in remove_stale(args.out, older_than_hours=args.prune):
            print(f"removed {path}", file=sys.stderr)
    runs = list_runs(args.out)
    for r in runs:
        k = "" if r.k is None else f"k={r.k}"
        n = "" if r.customers is None else f"{r.customers} customers"
        print(f"{r.run_name:<20} {r.stamp:<18} {r.status:<11} {k:<5} {n:<18} {r.path}")
    index = write_index(args.out)
    print(index)
    return 0


def cmd_schema(args) -> int:
    from seglab.artifacts import ARTIFACTS, artifact_schema  # lazy: start-up time
    from seglab.config import json_schema  # lazy: start-up time

    if args.artifact == "list":
        for a in ARTIFACTS.values():
            if a.model is not None:
                name = a.name.rsplit("/", 1)[-1].removesuffix(".json")
                print(f"{name:<14} {a.name:<26} written by {a.writer:<9} {a.what}")
        return 0
    schema = artifact_schema(args.artifact) if args.artifact else json_schema()
    text = json.dumps(schema, indent=2, ensure_ascii=False)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
        print(args.out)
    else:
        print(text)
    return 0


def cmd_assign(args) -> int:
    from seglab.io.outputs import write_csv  # lazy: start-up time
    from seglab.pipeline.assign import assign_file  # lazy: start-up time

    out = assign_file(args.model, args.data, transactions=args.transactions, as_of=args.as_of)
    if args.out:
        write_csv(out, args.out)
        print(args.out)
    else:
        write_csv(out, sys.stdout)
    return 0


def cmd_compare(args) -> int:
    from seglab.pipeline.drift import compare_runs  # lazy: start-up time

    path = compare_runs(args.run_a, args.run_b, out=args.out)
    print(path)
    return 0


COMMANDS = {"run": cmd_run, "init": cmd_init, "validate": cmd_validate, "demo-data": cmd_demo_data, "runs": cmd_runs,
            "schema": cmd_schema, "assign": cmd_assign, "compare": cmd_compare, "measure": cmd_measure}


if __name__ == "__main__":
    sys.exit(main())
