"""The SAM template as CloudFormation, as `sam deploy` hands it over: transformed by the pinned
aws-sam-translator, with the functions' code at the S3 location `sam package` would upload it to.

    python translate.py <template.yaml>   (prints JSON; needs AWS_DEFAULT_REGION)
"""

import json
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicyNames:
    """The template names managed policies by ARN only: nothing to look up in IAM."""

    def load(self):
        return {}


template = yaml_parse(open(sys.argv[1]).read())
template["Globals"]["Function"]["CodeUri"] = "s3://sam-packaged/functions.zip"
print(json.dumps(transform(template, {}, NoManagedPolicyNames()), default=str))
