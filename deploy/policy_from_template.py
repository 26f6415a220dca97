#!/usr/bin/env python3
"""Print the policy that deploy/template.yaml gives a function's role (the
start function's role, FunctionRole, by default; --role RefreshFunctionRole
for the refresh function's), evaluated for given parameters, as JSON; nothing
when the parameters do not create that role. Or, with --schedule-input
RESOURCE, the event a schedule of the template sends.

A test compares each role's policy with `glue-codeartifact iam-policy` (and
`iam-policy --refresh`) for the same inputs, so that the template and the CLI
cannot drift apart; another parses the refresh schedule's event with the
function's own event type. The template is read
with cfn-lint's decoder (which understands the !Sub/!If short forms) and the
few intrinsic functions the policy uses are evaluated here: Ref, Fn::Sub,
Fn::Join, Fn::Split, Fn::Select, Fn::If, Fn::Equals, Fn::Not, Fn::And,
Fn::Or, Condition, and AWS::NoValue.

    policy_from_template.py --account 123456789012 --region us-east-1 \
        --param Domain=acme --param Repository=py --param AllowedJobs=a,b-*
    policy_from_template.py ... --param EnableRefresh=true \
        --param GlueJobRoleArns=arn:aws:iam::123456789012:role/etl \
        --role RefreshFunctionRole
    policy_from_template.py ... --param EnableRefresh=true \
        --param GlueJobRoleArns=arn:aws:iam::123456789012:role/etl \
        --param RefreshScheduleExpression='rate(8 hours)' \
        --param RefreshScheduleTag=team=data --schedule-input RefreshSchedule
"""

import argparse
import json
import re
import sys
from pathlib import Path

from cfnlint.decode import decode

TEMPLATE = Path(__file__).resolve().parent / "template.yaml"
# Each function's role, and the name of its glue-codeartifact policy.
ROLES = {
    "FunctionRole": "glue-codeartifact-start",
    "RefreshFunctionRole": "glue-codeartifact-refresh",
}
NO_VALUE = object()


class Evaluator:
    def __init__(self, template, params, pseudo):
        self.template = template
        self.values = dict(pseudo)
        for name, spec in template.get("Parameters", {}).items():
            value = params.get(name, spec.get("Default"))
            if value is None:
                raise SystemExit(f"parameter {name} has no value and no default")
            if spec.get("Type") == "CommaDelimitedList":
                value = [v for v in str(value).split(",")]
            self.values[name] = value
        self.conditions = {}

    def condition(self, name):
        if name not in self.conditions:
            self.conditions[name] = bool(self.eval(self.template["Conditions"][name]))
        return self.conditions[name]

    def eval(self, node):
        if isinstance(node, list):
            items = [self.eval(n) for n in node]
            return [i for i in items if i is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                if arg == "AWS::NoValue":
                    return NO_VALUE
                return self.values[arg]
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::If":
                name, yes, no = arg
                return self.eval(yes if self.condition(name) else no)
            if key == "Fn::Equals":
                a, b = (self.eval(x) for x in arg)
                return str(a) == str(b)
            if key == "Fn::Not":
                return not self.eval(arg[0])
            if key == "Fn::And":
                return all(self.eval(x) for x in arg)
            if key == "Fn::Or":
                return any(self.eval(x) for x in arg)
            if key == "Fn::Join":
                delimiter, items = arg
                return delimiter.join(str(i) for i in self.eval(items))
            if key == "Fn::Split":
                delimiter, text = arg
                return self.eval(text).split(delimiter)
            if key == "Fn::Select":
                index, items = arg
                return self.eval(items)[int(self.eval(index))]
            if key == "Fn::Sub":
                if isinstance(arg, list):
                    text, variables = arg
                    local = {k: self.eval(v) for k, v in variables.items()}
                else:
                    text, local = arg, {}

                def substitute(match):
                    name = match.group(1)
                    if name.startswith("!"):
                        return "${" + name[1:] + "}"
                    if name in local:
                        return str(local[name])
                    return str(self.values[name])

                return re.sub(r"\$\{([^}]+)\}", substitute, text)
            if key.startswith("Fn::"):
                raise SystemExit(f"{key} is not evaluated by {Path(__file__).name}")
        out = {}
        for key, value in node.items():
            value = self.eval(value)
            if value is not NO_VALUE:
                out[key] = value
        return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--account", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--partition", default="aws")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--template", default=str(TEMPLATE))
    parser.add_argument(
        "--role",
        choices=sorted(ROLES),
        default="FunctionRole",
        help="the role whose policy to print (default: the start function's)",
    )
    parser.add_argument(
        "--schedule-input",
        metavar="RESOURCE",
        help="print the Target.Input of this AWS::Scheduler::Schedule instead (nothing if its Condition is false)",
    )
    args = parser.parse_args()
    params = dict(p.split("=", 1) for p in args.param)
    template, problems = decode(args.template)
    if problems or template is None:
        raise SystemExit(f"cannot read {args.template}: {problems}")
    pseudo = {
        "AWS::AccountId": args.account,
        "AWS::Region": args.region,
        "AWS::Partition": args.partition,
        "AWS::StackName": "stack",
    }
    evaluator = Evaluator(template, params, pseudo)
    if args.schedule_input:
        schedule = template["Resources"][args.schedule_input]
        if "Condition" in schedule and not evaluator.condition(schedule["Condition"]):
            return
        print(evaluator.eval(schedule["Properties"]["Target"]["Input"]))
        return
    role = template["Resources"][args.role]
    if "Condition" in role and not evaluator.condition(role["Condition"]):
        return
    name = ROLES[args.role]
    policies = [p for p in role["Properties"]["Policies"] if p["PolicyName"] == name]
    if len(policies) != 1:
        raise SystemExit(f"{args.role} has no single policy named {name}")
    # Nothing else may grant the role permissions behind the test's back.
    for resource_name, resource in template["Resources"].items():
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            raise SystemExit(f"{resource_name}: policies belong inline in the roles")
    document = evaluator.eval(policies[0]["PolicyDocument"])
    json.dump(document, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
