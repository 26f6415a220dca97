#!/usr/bin/env python3
"""Glue steps of the demo (scripts/demo), with boto3 against the moto stand-in.

Usage:
    demo_glue.py create-job --name NAME      # a Glue 5.0 Spark job that needs acme-tools
    demo_glue.py show-run --name NAME --run-id ID   # the run's arguments, tokens redacted

Endpoint and region come from AWS_ENDPOINT_URL_GLUE and AWS_REGION.
"""

import argparse
import json
import os
import re
import sys

import boto3


def glue():
    return boto3.client(
        "glue",
        endpoint_url=os.environ["AWS_ENDPOINT_URL_GLUE"],
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
    )


def redact(text: str) -> str:
    """Replace the password of every URL's userinfo with ****."""
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1****@", text)


def create_job(name: str) -> None:
    glue().create_job(
        Name=name,
        Role="arn:aws:iam::123456789012:role/demo-glue-job",
        Command={"Name": "glueetl", "ScriptLocation": "s3://demo-bucket/etl.py", "PythonVersion": "3"},
        GlueVersion="5.0",
        DefaultArguments={
            "--additional-python-modules": "acme-tools==1.2.0",
            "--python-modules-installer-option": "--upgrade",
        },
        ExecutionProperty={"MaxConcurrentRuns": 5},
    )
    job = glue().get_job(JobName=name)["Job"]
    print(json.dumps({"Name": job["Name"], "DefaultArguments": job["DefaultArguments"]}, indent=2))


def show_run(name: str, run_id: str) -> None:
    run = glue().get_job_run(JobName=name, RunId=run_id)["JobRun"]
    shown = {k: redact(v) for k, v in sorted(run.get("Arguments", {}).items())}
    print(json.dumps({"Id": run["Id"], "JobRunState": run["JobRunState"], "Arguments": shown}, indent=2))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-job")
    create.add_argument("--name", required=True)
    show = sub.add_parser("show-run")
    show.add_argument("--name", required=True)
    show.add_argument("--run-id", required=True)
    args = parser.parse_args()
    if args.command == "create-job":
        create_job(args.name)
    else:
        show_run(args.name, args.run_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
