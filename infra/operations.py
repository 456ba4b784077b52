"""What the admin sees in the console: one dashboard, and alarms that page through the operations topic."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.channels.policy import CHANNELS
from infra import site
from infra.iam import CHANNEL_QUEUES, FUNCTIONS

NAMESPACE = "KindAlarm"
SERVICE = "kind-alarm-api"
# Each queue a function works from, with the dead-letter queue it gives up into.
WORK_QUEUES = {f"{name}Queue": f"{name}DeadLetterQueue" for name in [*CHANNEL_QUEUES, "PhotoUploads"]}
FAILURE_QUEUES = [*WORK_QUEUES.values(), "DispatchFailureQueue"]
OLDEST_MESSAGE_SECONDS = 300
ITERATOR_AGE_MS = 30_000
# Percent of the site's answers that are 5xx, averaged over SITE_ERROR_PERIOD seconds (few visitors: not one minute).
SITE_5XX_PERCENT = 5
SITE_ERROR_PERIOD = 300
SITE_DIMENSIONS = [
    {"Name": "DistributionId", "Value": {"Ref": site.DISTRIBUTION}},
    {"Name": "Region", "Value": "Global"},
]
# The canary (chalicelib.alerts.canary): hours between runs, a divisor of a day so that runs fall at the same times
# every day, and at most a day, so that two periods fit an alarm's evaluation range (7 days). CloudFormation cannot
# multiply: the mapping gives each its seconds, for the function and for the alarm that misses the runs.
CANARY_HOURS = (1, 2, 3, 4, 6, 8, 12, 24)
CANARY_SCHEDULE = "CanarySchedule"
CANARY_SECONDS = {"Fn::FindInMap": [CANARY_SCHEDULE, {"Ref": "CanaryScheduleHours"}, "Seconds"]}
CANARY_PARAMETERS: dict[str, Any] = {
    "CanaryScheduleHours": {
        "Type": "Number",
        "Default": 6,
        "AllowedValues": list(CANARY_HOURS),
        "Description": "Hours between canary runs: a test alert to every channel's sandbox and back.",
    },
    "CanaryLimitSeconds": {
        "Type": "Number",
        "Default": 60,
        "MinValue": 10,
        "MaxValue": 900,
        "Description": "Seconds each channel may take to deliver the canary's alert, and again to retract it.",
    },
}
CANARY_PHASES = ("delivered", "retracted")


def alarm(description: str, metric: dict[str, Any], threshold: float, missing: str = "notBreaching") -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": threshold,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "Period": 60,
            "TreatMissingData": missing,
            "AlarmActions": [{"Ref": "OperationsTopic"}],
            "OKActions": [{"Ref": "OperationsTopic"}],
            **metric,
        },
    }


def queue_metric(queue: str, name: str, statistic: str = "Maximum") -> dict[str, Any]:
    dimensions = [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
    return {"Namespace": "AWS/SQS", "MetricName": name, "Dimensions": dimensions, "Statistic": statistic}


def alarms() -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for queue in FAILURE_QUEUES:
        resources[f"{queue}Alarm"] = alarm(
            f"A message is in {queue}: a delivery or dispatch gave up. Runbook: docs/runbook.md#a-dead-letter-alarm",
            queue_metric(queue, "ApproximateNumberOfMessagesVisible"),
            0,
        )
    for queue in WORK_QUEUES:
        resources[f"{queue}AgeAlarm"] = alarm(
            f"{queue} has held a message for over {OLDEST_MESSAGE_SECONDS} s: its function is failing or stopped.",
            queue_metric(queue, "ApproximateAgeOfOldestMessage"),
            OLDEST_MESSAGE_SECONDS,
        )
    resources["DispatchIteratorAgeAlarm"] = alarm(
        "The dispatcher is behind on the alerts stream: changes are not reaching the channels. "
        "Runbook: docs/runbook.md#the-dispatcher-is-behind",
        {
            "Namespace": "AWS/Lambda",
            "MetricName": "IteratorAge",
            "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "Dispatch"}}],
            "Statistic": "Maximum",
        },
        ITERATOR_AGE_MS,
    )
    resources["UndeliveredKindAlarmAlarm"] = alarm(
        "An active kind_alarm has a channel that did not deliver within 60 seconds (or the watch stopped). "
        "Runbook: docs/runbook.md#a-channel-did-not-deliver",
        {
            "Namespace": NAMESPACE,
            "MetricName": "UndeliveredChannels",
            "Dimensions": [{"Name": "service", "Value": SERVICE}],
            "Statistic": "Maximum",
        },
        0,
        missing="breaching",
    )
    resources["SiteErrorRateAlarm"] = site_error_alarm()
    resources.update(canary_alarms())
    return resources


def canary_alarms() -> dict[str, Any]:
    """A failed run raises one alarm until a run passes; no finished run for two periods (the canary stopped, or
    its runs never end) the other."""
    passed = {
        "Namespace": NAMESPACE,
        "MetricName": "CanaryPassed",
        "Dimensions": [{"Name": "service", "Value": SERVICE}],
    }
    failed = alarm(
        "A canary run failed: a channel did not deliver or retract the test alert within the limit. "
        "GET /canary names the channel and its partner's answer. Runbook: docs/runbook.md#the-canary-failed",
        {**passed, "Statistic": "Minimum"},
        1,
        missing="ignore",
    )
    stopped = alarm(
        "No canary run has finished for two periods of its schedule: the path to the partners is unproven. "
        "Runbook: docs/runbook.md#the-canary-failed",
        {
            **passed,
            "Statistic": "SampleCount",
            "Period": CANARY_SECONDS,
            "EvaluationPeriods": 2,
            "DatapointsToAlarm": 2,
        },
        1,
        missing="breaching",
    )
    for found in (failed, stopped):
        found["Properties"]["ComparisonOperator"] = "LessThanThreshold"
    return {"CanaryFailedAlarm": failed, "CanaryStoppedAlarm": stopped}


def site_error_alarm() -> dict[str, Any]:
    """The public site answering 5xx. CloudFront's metrics exist in us-east-1 only and an alarm watches metrics of
    its own region, so the alarm exists only in a stack there; elsewhere the dashboard shows the rate (its widget
    reads us-east-1) and docs/runbook.md says how to alarm from us-east-1."""
    metric = {
        "Namespace": "AWS/CloudFront",
        "MetricName": "5xxErrorRate",
        "Dimensions": SITE_DIMENSIONS,
        "Statistic": "Average",
    }
    found = alarm(
        f"Over {SITE_5XX_PERCENT} % of the public site's answers are 5xx: alert pages may not be reachable. "
        "Runbook: docs/runbook.md#the-public-site",
        metric,
        SITE_5XX_PERCENT,
    )
    found["Condition"] = site.IN_METRICS_REGION
    found["Properties"].update({"Period": SITE_ERROR_PERIOD, "EvaluationPeriods": 2, "DatapointsToAlarm": 2})
    return found


def per_channel(metric: str, stat: str) -> list[list[Any]]:
    return [[NAMESPACE, metric, "channel", name, "service", SERVICE, {"stat": stat}] for name in CHANNELS]


def widget(
    title: str, metrics: list[list[Any]], x: int, y: int, view: str = "timeSeries", region: str = "${AWS::Region}"
) -> dict[str, Any]:
    properties = {"title": title, "metrics": metrics, "region": region, "view": view, "period": 60}
    return {"type": "metric", "x": x, "y": y, "width": 12, "height": 6, "properties": properties}


def dashboard_body() -> dict[str, Any]:
    dead_letters = [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", f"${{{q}.QueueName}}"] for q in FAILURE_QUEUES
    ]
    widgets = [
        widget("Alerts received", [[NAMESPACE, "AlertsReceived", "service", SERVICE, {"stat": "Sum"}]], 0, 0),
        widget(
            "Undelivered channels of active kind_alarm (> 60 s)",
            [[NAMESPACE, "UndeliveredChannels", "service", SERVICE]],
            12,
            0,
        ),
        widget("Deliveries per channel", per_channel("Deliveries", "Sum"), 0, 6),
        widget("Failed deliveries per channel", per_channel("DeliveryFailures", "Sum"), 12, 6),
        widget("Seconds to delivery per channel (max)", per_channel("SecondsToDelivery", "Maximum"), 0, 12),
        widget("Dead-letter queue depth", dead_letters, 12, 12),
        widget(
            "Dispatcher stream iterator age (ms)", [["AWS/Lambda", "IteratorAge", "FunctionName", "${Dispatch}"]], 0, 18
        ),
        widget(
            "Function errors",
            [["AWS/Lambda", "Errors", "FunctionName", f"${{{resource}}}", {"stat": "Sum"}] for resource in FUNCTIONS],
            12,
            18,
        ),
        widget("Public site: error rates (%) and requests", site_metrics(), 0, 24, region=site.METRICS_REGION),
        widget("Canary runs: passed (1) or failed (0)", [[NAMESPACE, "CanaryPassed", "service", SERVICE]], 0, 30),
        widget("Canary seconds per channel: delivered, retracted", canary_seconds(), 12, 30),
    ]
    return {"widgets": widgets}


def site_metrics() -> list[list[Any]]:
    """The distribution's metrics, which CloudFront publishes in us-east-1 with the dimension Region=Global."""
    where = ["DistributionId", "${" + site.DISTRIBUTION + "}", "Region", "Global"]
    return [
        ["AWS/CloudFront", "5xxErrorRate", *where, {"stat": "Average"}],
        ["AWS/CloudFront", "4xxErrorRate", *where, {"stat": "Average"}],
        ["AWS/CloudFront", "Requests", *where, {"stat": "Sum", "yAxis": "right"}],
    ]


def canary_seconds() -> list[list[Any]]:
    return [
        [NAMESPACE, "CanarySeconds", "channel", name, "phase", phase, "service", SERVICE, {"stat": "Maximum"}]
        for name in CHANNELS
        for phase in CANARY_PHASES
    ]


def template() -> dict[str, Any]:
    dashboard = {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {
            "DashboardName": {"Fn::Sub": "kind-alarm-${Stage}"},
            "DashboardBody": {"Fn::Sub": json.dumps(dashboard_body())},
        },
    }
    topic = {
        "Type": "AWS::SNS::Topic",
        "Properties": {"TopicName": {"Fn::Sub": "kind-alarm-${Stage}-operations"}, "KmsMasterKeyId": "alias/aws/sns"},
    }
    outputs = {
        "OperationsTopicArn": {"Value": {"Ref": "OperationsTopic"}},
        "DashboardUrl": {
            "Value": {
                "Fn::Sub": "https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home"
                "?region=${AWS::Region}#dashboards:name=kind-alarm-${Stage}"
            }
        },
    }
    return {
        "Parameters": CANARY_PARAMETERS,
        "Mappings": {CANARY_SCHEDULE: {str(hours): {"Seconds": hours * 3600} for hours in CANARY_HOURS}},
        "Resources": {"OperationsTopic": topic, "Dashboard": dashboard, **alarms()},
        "Outputs": outputs,
    }
