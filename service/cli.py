"""`kserve-doctor`: the same diagnosis and remediations from a terminal, with the user's own kubeconfig.

    kserve-doctor diagnose NS/NAME [--output text|json|yaml]   why one InferenceService does not serve
    kserve-doctor diagnose NS                                  every InferenceService of a namespace
    kserve-doctor remediate ID NS/NAME [--param k=v ...] [--apply]
    kserve-doctor serve [--bind HOST:PORT] [--workers N]       the REST service (gunicorn)

Exit codes: 0 nothing wrong (or only warnings), 1 an error or critical finding (or a refused fix),
2 a usage error, 3 the cluster could not be reached.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from . import text_report
from .config import Settings
from .doctor import ApiUnavailable, Doctor, NotFoundAnswer, name_problem
from .errors import ApiError
from .remediate import RemediateRequest, Remediation

SEVERE = ("critical", "error")


def _target(value: str, *, allow_namespace: bool = False) -> tuple[str, str | None]:
    ns, sep, name = value.partition("/")
    if not sep and not allow_namespace:
        raise argparse.ArgumentTypeError(f"expected NAMESPACE/NAME, got {value!r}")
    for v, what in ((ns, "the namespace"), (name if sep else None, "the name")):
        if v is not None and (problem := name_problem(v, what)):
            raise argparse.ArgumentTypeError(problem)
    return ns, (name if sep else None)


def _param(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {value!r}")
    return key, val


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="kserve-doctor", description="Why a KServe InferenceService is not serving.")
    sub = ap.add_subparsers(dest="command", required=True)

    def cluster_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--kubeconfig", type=Path, default=None, help="kubeconfig file (default: $KUBECONFIG)")
        p.add_argument("--context", default=None, help="kubeconfig context (default: the current one)")
        p.add_argument("-o", "--output", choices=("text", "json", "yaml"), default="text")

    d = sub.add_parser("diagnose", help="diagnose NS/NAME, or overview NS")
    d.add_argument("target", type=lambda v: _target(v, allow_namespace=True), metavar="NS[/NAME]")
    cluster_args(d)
    r = sub.add_parser("remediate", help="preview (default) or --apply a remediation with your credentials")
    r.add_argument("id", metavar="ID")
    r.add_argument("target", type=_target, metavar="NS/NAME")
    r.add_argument("--param", type=_param, action="append", default=[], metavar="KEY=VALUE")
    r.add_argument("--apply", action="store_true", help="apply the plan (default: preview only)")
    r.add_argument("--plan-id", default=None, help="apply only if the plan is still exactly this one")
    cluster_args(r)
    s = sub.add_parser("serve", help="run the REST service under gunicorn")
    s.add_argument("--bind", default="127.0.0.1:8080")
    s.add_argument("--workers", type=int, default=None)
    return ap


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if args.kubeconfig:
        overrides["kubeconfig"] = str(args.kubeconfig)
    if args.context:
        overrides["context"] = args.context
    return Settings.from_env(overrides=overrides)


def _emit(data: Any, output: str, text: str) -> None:
    if output == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    elif output == "yaml":
        sys.stdout.write(yaml.safe_dump(data, sort_keys=False))
    else:
        sys.stdout.write(text)


def _diagnose(args: argparse.Namespace) -> int:
    doctor = Doctor(_settings(args))
    ns, name = args.target
    try:
        if name is None:
            overview = doctor.overview(ns)
            _emit(overview, args.output, text_report.overview(overview))
            return 1 if any(i["worstSeverity"] in SEVERE for i in overview["items"]) else 0
        answer = doctor.diagnose(ns, name)
    except ApiUnavailable as e:
        sys.stderr.write(f"kserve-doctor: the Kubernetes API server did not answer: {e.message}\n")
        return 3
    finally:
        doctor.close()
    if isinstance(answer, NotFoundAnswer):
        body = answer.body
        _emit(body, args.output, f"{body['findings'][0]['title']}\n{body['findings'][0]['explanation']}\n")
        return 1
    _emit(answer, args.output, text_report.diagnosis(answer))
    return 1 if any(f["severity"] in SEVERE for f in answer["findings"]) else 0


def _remediate(args: argparse.Namespace) -> int:
    doctor = Doctor(_settings(args))
    ns, name = args.target
    req = RemediateRequest(args.id, ns, name or "", dict(args.param), dry_run=not args.apply, plan_id=args.plan_id)
    try:
        answer = Remediation(doctor.kube, doctor.settings).run(req, None, own_credentials=True)
    except ApiError as e:
        sys.stderr.write(f"kserve-doctor: {e.code}: {e.message}\n")
        if e.details:
            sys.stderr.write(json.dumps(e.details, indent=2) + "\n")
        return 3 if e.status == 503 else 1
    finally:
        doctor.close()
    _emit(answer, args.output, text_report.plan(answer))
    return 0


def _serve(args: argparse.Namespace) -> int:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    argv = [str(gunicorn), "-b", args.bind, "service:create_app()"]
    if args.workers:
        argv[1:1] = ["-w", str(args.workers)]
    os.execv(argv[0], argv)
    return 0  # not reached


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return {"diagnose": _diagnose, "remediate": _remediate, "serve": _serve}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
