"""CloudFormation in moto for the resource types moto's own implementation lacks.

Imported into the rehearsal's moto server before it starts. Each type below is created through
the service's own moto backend (the same code its API calls run), with what CloudFormation
would return for `Ref` and `Fn::GetAtt`, and with the checks the real service makes that moto
does not (each says which). A type whose service moto lacks, or whose moto model cannot hold it,
is recorded only and listed in RECORDED_ONLY: the rehearsal asserts that list.

Event source mappings on a queue are moto's own, with the checks Lambda makes that moto does not,
and not polled by moto: the rehearsal plays Lambda's poller (on the function's role) and runs the
real binary.

Every resource CloudFormation creates, of any type, is also recorded with its properties as
CloudFormation resolved them (`REHEARSAL_RECORD_DIR/<stack>.json`): the environment and the
policies the rehearsal checks are the stack's, not the template's.
"""

import json
import os
import random
import string

import moto.cloudformation.parsing as parsing
from moto.apigatewayv2.models import apigatewayv2_backends
from moto.awslambda.models import LambdaBackend, lambda_backends
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.common_models import CloudFormationModel
from moto.scheduler.models import scheduler_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

# moto files every model class under the service its module is in (`moto.<service>.models`).
__name__ = "moto.rehearsal"

# Types whose service moto lacks or cannot hold as CloudFormation makes them: recorded only.
RECORDED_ONLY = {
    # moto's SES keeps event destination names account-wide (SES scopes them per configuration
    # set), so a second stack would collide where AWS does not.
    "AWS::SES::ConfigurationSetEventDestination",
    # moto's CloudWatch takes metric-math alarms only as its own query objects; nothing reads
    # alarms back from it (the rehearsal checks their actions from the record).
    "AWS::CloudWatch::Alarm",
}


class ServiceRefused(Exception):
    """A request the real service refuses and moto accepts."""


def _suffix(n=12):
    return "".join(random.choices(string.ascii_uppercase + string.digits, k=n))


class _Model:
    """One resource: its `Ref`, its attributes, its resolved properties. (Each type names
    CloudFormationModel as a direct base too: moto finds the types among its direct
    subclasses.)"""

    TYPE = ""
    NAME_PROPERTY = ""

    def __init__(self, ref, attributes, properties):
        self.ref = ref
        self.attributes = attributes
        self.properties = properties

    @property
    def physical_resource_id(self):
        return self.ref

    @classmethod
    def cloudformation_type(cls):
        return cls.TYPE

    @classmethod
    def cloudformation_name_type(cls):
        return cls.NAME_PROPERTY

    @classmethod
    def has_cfn_attr(cls, attr):
        return True

    def get_cfn_attribute(self, attribute_name):
        if attribute_name not in self.attributes:
            raise ServiceRefused(f"{self.TYPE} has no attribute {attribute_name}")
        return self.attributes[attribute_name]

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        properties = cloudformation_json.get("Properties", {})
        ref, attributes = cls.create(resource_name, properties, account_id, region_name)
        return cls(ref, attributes, properties)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ):
        pass

    @classmethod
    def create(cls, name, p, account, region):
        raise NotImplementedError


def _arn(region, account, service, resource):
    return f"arn:aws:{service}:{region}:{account}:{resource}"


class Api(_Model, CloudFormationModel):
    TYPE = "AWS::ApiGatewayV2::Api"

    @classmethod
    def create(cls, name, p, account, region):
        api = apigatewayv2_backends[account][region].create_api(
            api_key_selection_expression=None, cors_configuration=None,
            description=p.get("Description"), disable_schema_validation=None,
            disable_execute_api_endpoint=None, name=p.get("Name", name),
            protocol_type=p["ProtocolType"], route_selection_expression=None,
            tags=p.get("Tags") or {}, version=None,
        )
        endpoint = f"https://{api.api_id}.execute-api.{region}.amazonaws.com"
        return api.api_id, {"ApiId": api.api_id, "ApiEndpoint": endpoint}


class Stage(_Model, CloudFormationModel):
    TYPE = "AWS::ApiGatewayV2::Stage"

    @classmethod
    def create(cls, name, p, account, region):
        config = {
            "stageName": p["StageName"], "autoDeploy": p.get("AutoDeploy"),
            "accessLogSettings": p.get("AccessLogSettings"),
            "defaultRouteSettings": p.get("DefaultRouteSettings"),
        }
        apigatewayv2_backends[account][region].create_stage(p["ApiId"], config)
        return p["StageName"], {}


class Authorizer(_Model, CloudFormationModel):
    TYPE = "AWS::ApiGatewayV2::Authorizer"

    @classmethod
    def create(cls, name, p, account, region):
        jwt = p.get("JwtConfiguration") or {}
        authorizer = apigatewayv2_backends[account][region].create_authorizer(
            api_id=p["ApiId"], auth_creds_arn=None, auth_payload_format_version=None,
            auth_result_ttl=None, authorizer_uri=None, authorizer_type=p["AuthorizerType"],
            enable_simple_response=None, identity_source=p.get("IdentitySource"),
            identity_validation_expr=None,
            jwt_config={"issuer": jwt.get("Issuer"), "audience": jwt.get("Audience")},
            name=p["Name"],
        )
        return authorizer.id, {"AuthorizerId": authorizer.id}


class Integration(_Model, CloudFormationModel):
    TYPE = "AWS::ApiGatewayV2::Integration"

    @classmethod
    def create(cls, name, p, account, region):
        integration = apigatewayv2_backends[account][region].create_integration(
            api_id=p["ApiId"], connection_id=None, connection_type=None,
            content_handling_strategy=None, credentials_arn=None, description=None,
            integration_method=p.get("IntegrationMethod"), integration_subtype=None,
            integration_type=p["IntegrationType"], integration_uri=p.get("IntegrationUri"),
            passthrough_behavior=None, payload_format_version=p.get("PayloadFormatVersion"),
            request_parameters=None, request_templates=None, response_parameters=None,
            template_selection_expression=None, timeout_in_millis=None, tls_config=None,
        )
        return integration.id, {"IntegrationId": integration.id}


class Route(_Model, CloudFormationModel):
    TYPE = "AWS::ApiGatewayV2::Route"

    @classmethod
    def create(cls, name, p, account, region):
        route = apigatewayv2_backends[account][region].create_route(
            api_id=p["ApiId"], api_key_required=False, authorization_scopes=None,
            authorization_type=p.get("AuthorizationType"), authorizer_id=p.get("AuthorizerId"),
            model_selection_expression=None, operation_name=None, request_models=None,
            request_parameters=None, route_key=p["RouteKey"],
            route_response_selection_expression=None, target=p.get("Target"),
        )
        return route.route_id, {"RouteId": route.route_id}


class Alarm(_Model, CloudFormationModel):
    TYPE = "AWS::CloudWatch::Alarm"
    NAME_PROPERTY = "AlarmName"

    @classmethod
    def create(cls, name, p, account, region):
        return name, {"Arn": _arn(region, account, "cloudwatch", f"alarm:{name}")}


class UserPool(_Model, CloudFormationModel):
    TYPE = "AWS::Cognito::UserPool"
    NAME_PROPERTY = "UserPoolName"

    @classmethod
    def create(cls, name, p, account, region):
        config = {k: v for k, v in p.items() if k != "UserPoolName"}
        pool = cognitoidp_backends[account][region].create_user_pool(name, config)
        return pool.id, {
            "Arn": pool.arn,
            "UserPoolId": pool.id,
            "ProviderName": f"cognito-idp.{region}.amazonaws.com/{pool.id}",
            "ProviderURL": f"https://cognito-idp.{region}.amazonaws.com/{pool.id}",
        }


class UserPoolClient(_Model, CloudFormationModel):
    TYPE = "AWS::Cognito::UserPoolClient"

    @classmethod
    def create(cls, name, p, account, region):
        # Cognito refuses callback and sign-out URLs that are not https (but for localhost).
        for url in p.get("CallbackURLs", []) + p.get("LogoutURLs", []):
            if not (url.startswith("https://") or url.startswith("http://localhost")):
                raise ServiceRefused(f"Cognito: {url} is not an https URL")
        config = {k: v for k, v in p.items() if k not in ("UserPoolId", "GenerateSecret")}
        config.setdefault("ClientName", name)
        client = cognitoidp_backends[account][region].create_user_pool_client(
            p["UserPoolId"], bool(p.get("GenerateSecret")), config
        )
        return client.id, {"ClientId": client.id, "Name": config["ClientName"]}


class UserPoolDomain(_Model, CloudFormationModel):
    TYPE = "AWS::Cognito::UserPoolDomain"

    @classmethod
    def create(cls, name, p, account, region):
        domain = p["Domain"]
        # Cognito refuses prefixes holding these words.
        for word in ("aws", "amazon", "cognito"):
            if word in domain:
                raise ServiceRefused(f"Cognito: the domain {domain} holds the reserved word {word}")
        backend = cognitoidp_backends[account][region]
        # A prefix is unique in the region (moto would replace the other pool's).
        if domain in backend.user_pool_domains:
            raise ServiceRefused(f"Cognito: the domain {domain} already exists")
        backend.create_user_pool_domain(p["UserPoolId"], domain)
        return domain, {"CloudFrontDistribution": "d111111abcdef8.cloudfront.net"}


class EventInvokeConfig(_Model, CloudFormationModel):
    TYPE = "AWS::Lambda::EventInvokeConfig"

    @classmethod
    def create(cls, name, p, account, region):
        config = {k: v for k, v in p.items() if k not in ("FunctionName", "Qualifier")}
        lambda_backends[account][region].put_function_event_invoke_config(p["FunctionName"], config)
        return f"{p['FunctionName']}|{p.get('Qualifier', '$LATEST')}", {}


class ConfigurationSet(_Model, CloudFormationModel):
    TYPE = "AWS::SES::ConfigurationSet"
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, name, p, account, region):
        ses_backends[account][region].create_configuration_set_v2(
            configuration_set_name=name,
            tracking_options=p.get("TrackingOptions") or {},
            delivery_options=p.get("DeliveryOptions") or {},
            reputation_options=p.get("ReputationOptions") or {},
            sending_options=p.get("SendingOptions") or {},
            tags=p.get("Tags") or [],
            suppression_options=p.get("SuppressionOptions") or {},
            vdm_options=p.get("VdmOptions") or {},
        )
        return name, {}


class EventDestination(_Model, CloudFormationModel):
    TYPE = "AWS::SES::ConfigurationSetEventDestination"

    @classmethod
    def create(cls, name, p, account, region):
        return name, {"Id": name}


class EmailIdentity(_Model, CloudFormationModel):
    TYPE = "AWS::SES::EmailIdentity"

    @classmethod
    def create(cls, name, p, account, region):
        identity = p["EmailIdentity"]
        # SES takes DKIM settings for domains only: creating an address identity with them fails.
        if "@" in identity and (p.get("DkimSigningAttributes") or p.get("DkimAttributes")):
            raise ServiceRefused(f"SES: DKIM settings are for domain identities, not {identity}")
        ses_backends[account][region].create_email_identity_v2(
            identity, p.get("Tags"), p.get("DkimSigningAttributes"),
            (p.get("ConfigurationSetAttributes") or {}).get("ConfigurationSetName"),
        )
        attributes = {}
        for n in (1, 2, 3):
            token = _suffix(32).lower()
            attributes[f"DkimDNSTokenName{n}"] = f"{token}._domainkey.{identity}"
            attributes[f"DkimDNSTokenValue{n}"] = f"{token}.dkim.amazonses.com"
        return identity, attributes


class Subscription(_Model, CloudFormationModel):
    TYPE = "AWS::SNS::Subscription"

    @classmethod
    def create(cls, name, p, account, region):
        subscription = sns_backends[account][region].subscribe(
            p["TopicArn"], p["Endpoint"], p["Protocol"]
        )
        return subscription.arn, {"Arn": subscription.arn}


class TopicPolicy(_Model, CloudFormationModel):
    TYPE = "AWS::SNS::TopicPolicy"

    @classmethod
    def create(cls, name, p, account, region):
        backend = sns_backends[account][region]
        for topic in p["Topics"]:
            backend.set_topic_attribute(topic, "policy", json.dumps(p["PolicyDocument"]))
        return name, {"Id": name}


class QueuePolicy(_Model, CloudFormationModel):
    TYPE = "AWS::SQS::QueuePolicy"

    @classmethod
    def create(cls, name, p, account, region):
        backend = sqs_backends[account][region]
        for url in p["Queues"]:
            backend.set_queue_attributes(url.rsplit("/", 1)[-1], {"Policy": json.dumps(p["PolicyDocument"])})
        return name, {"Id": name}


class Schedule(_Model, CloudFormationModel):
    TYPE = "AWS::Scheduler::Schedule"
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, name, p, account, region):
        # Named as CloudFormation names it when the template does not (at most 64 characters).
        name = p.get("Name") or name[:64]
        schedule = scheduler_backends[account][region].create_schedule(
            description=p.get("Description"), end_date=None,
            flexible_time_window=p.get("FlexibleTimeWindow"), group_name=p.get("GroupName"),
            kms_key_arn=None, name=name, schedule_expression=p["ScheduleExpression"],
            schedule_expression_timezone=p.get("ScheduleExpressionTimezone"), start_date=None,
            state=p.get("State"), target=p["Target"], action_after_completion=None,
        )
        return name, {"Arn": schedule.arn}


class Secret(_Model, CloudFormationModel):
    TYPE = "AWS::SecretsManager::Secret"
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, name, p, account, region):
        backend = secretsmanager_backends[account][region]
        generate = p.get("GenerateSecretString")
        value = p.get("SecretString")
        if generate is not None:
            value = backend.get_random_password(
                password_length=int(generate.get("PasswordLength", 32)),
                exclude_characters=generate.get("ExcludeCharacters", ""),
                exclude_numbers=bool(generate.get("ExcludeNumbers")),
                exclude_punctuation=bool(generate.get("ExcludePunctuation")),
                exclude_uppercase=bool(generate.get("ExcludeUppercase")),
                exclude_lowercase=bool(generate.get("ExcludeLowercase")),
                include_space=bool(generate.get("IncludeSpace")),
                require_each_included_type=bool(generate.get("RequireEachIncludedType", True)),
            )
            value = json.loads(value)["RandomPassword"] if value.startswith("{") else value
        body = backend.create_secret(
            name=name, secret_string=value, secret_binary=None,
            description=p.get("Description"), tags=p.get("Tags"), kms_key_id=None,
            client_request_token=None, replica_regions=[], force_overwrite=False,
        )
        arn = json.loads(body)["ARN"]
        return arn, {"Id": arn}


# ------------------------------------------------------------------ SQS event sources

_original_create_event_source_mapping = LambdaBackend.create_event_source_mapping


def _create_event_source_mapping(self, spec):
    """An event source mapping on a queue, with the checks Lambda makes that moto does not, and
    left to the rehearsal to poll: moto's own poller would invoke the function in Docker as each
    message arrives, where the rehearsal runs the real binary under its Runtime API."""
    queue = next(
        (q for q in sqs_backends[self.account_id][self.region_name].queues.values()
         if q.queue_arn == spec.get("EventSourceArn")),
        None,
    )
    if queue is not None:
        function = self._lambdas.get_function_by_name_or_arn_with_qualifier(spec["FunctionName"])
        # Lambda refuses a queue that would show a message again while a batch still runs.
        if int(queue.visibility_timeout) < int(function.timeout):
            raise ServiceRefused(
                f"Lambda: the queue's visibility timeout ({queue.visibility_timeout} s) is less "
                f"than the function's timeout ({function.timeout} s)"
            )
        # MaximumConcurrency is 2 to 1000.
        concurrency = (spec.get("ScalingConfig") or {}).get("MaximumConcurrency")
        if concurrency is not None and not 2 <= int(concurrency) <= 1000:
            raise ServiceRefused(f"Lambda: MaximumConcurrency {concurrency} is not 2 to 1000")
        # More than 10 messages a batch needs a batching window.
        if int(spec.get("BatchSize") or 10) > 10 and not spec.get("MaximumBatchingWindowInSeconds"):
            raise ServiceRefused("Lambda: a batch of more than 10 messages needs a batching window")
    mapping = _original_create_event_source_mapping(self, spec)
    if queue is not None:
        queue.lambda_event_source_mappings.pop(mapping.function_arn, None)
    return mapping


LambdaBackend.create_event_source_mapping = _create_event_source_mapping


# ------------------------------------------------------------------ what CloudFormation resolved

_RECORD_DIR = os.environ.get("REHEARSAL_RECORD_DIR")
_original_create = parsing.parse_and_create_resource


def _recording_create(logical_id, resource_json, resources_map, account_id, region_name):
    resource = _original_create(logical_id, resource_json, resources_map, account_id, region_name)
    if not _RECORD_DIR:
        return resource
    stack = resources_map["AWS::StackName"]
    path = os.path.join(_RECORD_DIR, f"{stack}.json")
    record = json.load(open(path)) if os.path.exists(path) else {}
    condition = resource_json.get("Condition")
    if resource is None:
        if condition and not resources_map.lazy_condition_map[condition]:
            return resource
        # moto skipped a type it has no CloudFormation for: the rehearsal fails on it.
        record[logical_id] = {"Type": resource_json["Type"], "Unsupported": True}
    else:
        resolved = parsing.clean_json(resource_json.get("Properties", {}), resources_map)
        record[logical_id] = {
            "Type": resource_json["Type"],
            "PhysicalId": getattr(resource, "physical_resource_id", None),
            "Properties": resolved,
            "DeletionPolicy": resource_json.get("DeletionPolicy"),
            "UpdateReplacePolicy": resource_json.get("UpdateReplacePolicy"),
        }
    with open(path, "w") as out:
        json.dump(record, out, default=str)
    return resource


parsing.parse_and_create_resource = _recording_create


class _Untracked(list):
    def append(self, instance):
        pass


# `/moto-api/data.json` (where the tests read sent email) reads every attribute of every model
# it tracks; a Lambda function's include a Docker client, which there is none of here.
from moto.core.model_instances import model_data  # noqa: E402

for _model in model_data["awslambda"].values():
    _model.instances_tracked = _Untracked()
parsing.get_model_map.cache_clear()
parsing.get_model_list.cache_clear()
parsing.get_name_type_map.cache_clear()
