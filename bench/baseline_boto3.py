#!/usr/bin/env python3
"""The boto3 baseline: the same job as `glue-codeartifact start`, done the way a
typical Python Lambda or script does it.

    baseline_boto3.py JOB DOMAIN REPOSITORY [DURATION_SECONDS]

Four calls in sequence, each with a client built for it (as handlers that call
``boto3.client(...)`` inside the function do):

1. Glue ``GetJob``: the job's ``--python-modules-installer-option``;
2. CodeArtifact ``GetRepositoryEndpoint`` (format pypi);
3. CodeArtifact ``GetAuthorizationToken``;
4. Glue ``StartJobRun`` with only the merged installer option.

The merge is the simple one: the job's option string, then
``--index-url=https://aws:TOKEN@HOST/.../simple/`` appended (no removal of an
earlier index option, no shell-aware splitting; enough for the benchmark's job,
which has ``--upgrade``). Prints the JobRunId. Endpoints, region and credentials
come from the environment (``AWS_ENDPOINT_URL_GLUE``,
``AWS_ENDPOINT_URL_CODEARTIFACT``, ``AWS_REGION``, ...), as for our CLI.
"""

import sys
from urllib.parse import quote, urlsplit, urlunsplit

import boto3

OPTION = "--python-modules-installer-option"


def main() -> None:
    job, domain, repository = sys.argv[1:4]
    duration = int(sys.argv[4]) if len(sys.argv) > 4 else 3600

    job_def = boto3.client("glue").get_job(JobName=job)["Job"]
    endpoint = boto3.client("codeartifact").get_repository_endpoint(
        domain=domain, repository=repository, format="pypi"
    )["repositoryEndpoint"]
    token = boto3.client("codeartifact").get_authorization_token(
        domain=domain, durationSeconds=duration
    )["authorizationToken"]

    parts = urlsplit(endpoint)
    netloc = f"aws:{quote(token, safe='')}@{parts.netloc}"
    index = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + "/simple/", "", ""))
    existing = job_def.get("DefaultArguments", {}).get(OPTION, "")
    merged = f"{existing} --index-url={index}".strip()

    run = boto3.client("glue").start_job_run(JobName=job, Arguments={OPTION: merged})
    print(run["JobRunId"])


if __name__ == "__main__":
    main()
