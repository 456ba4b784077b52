"""The channel policy table, the subscriptions derived from it, and sandbox routing."""

from __future__ import annotations

from chalicelib.channels.policy import CHANNELS, CHANNELS_BY_LEVEL, filter_policy
from chalicelib.channels.targets import PartnerDirectory, targets_for
from devstack.wiring import CHANNEL_QUEUES
from infra.channels import resources_template


def test_the_default_policy_of_the_design():
    assert CHANNELS_BY_LEVEL["kind_alarm"] == CHANNELS
    assert set(CHANNELS_BY_LEVEL["vermist_kind"]) == {"app_push", "social_media", "news_media", "cap_feed", "web"}
    assert filter_policy("road_signs") == {"level": ["kind_alarm"]}
    assert filter_policy("news_media") == {"level": ["kind_alarm", "vermist_kind"]}


def test_every_channel_queue_subscription_in_the_template_follows_the_policy():
    resources = resources_template()["Resources"]
    subscriptions = {
        properties["Endpoint"]["Fn::GetAtt"][0]: properties
        for properties in (r["Properties"] for r in resources.values() if r["Type"] == "AWS::SNS::Subscription")
    }
    assert len(subscriptions) == len(CHANNEL_QUEUES)
    for channel in CHANNEL_QUEUES:
        queue = "".join(part.title() for part in channel.split("_")) + "Queue"
        assert subscriptions[queue]["FilterPolicy"] == filter_policy(channel)
        assert subscriptions[queue]["RawMessageDelivery"] is True
        redrive = resources[queue]["Properties"]["RedrivePolicy"]
        assert redrive["deadLetterTargetArn"]["Fn::GetAtt"][0] == queue.replace("Queue", "DeadLetterQueue")
        assert 1 < redrive["maxReceiveCount"] <= 10


DIRECTORY = PartnerDirectory.model_validate(
    {
        "channels": {
            "news_media": {
                "public": [{"name": "anp", "url": "https://anp.example/hook", "secret_parameter": "/p/anp"}],
                "sandbox": [{"name": "test-room", "url": "https://test.example/hook", "secret_parameter": "/p/t"}],
            }
        }
    }
)


def test_real_alerts_go_to_the_public_targets():
    assert [t.name for t in targets_for(DIRECTORY, "news_media", "actual")] == ["anp"]


def test_exercises_and_tests_go_to_sandbox_targets_only():
    for status in ("exercise", "test"):
        assert [t.name for t in targets_for(DIRECTORY, "news_media", status)] == ["test-room"]


def test_a_channel_without_partners_has_no_targets():
    assert targets_for(DIRECTORY, "road_signs", "actual") == ()
