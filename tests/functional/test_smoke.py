import json

from tests.functional.conftest import send


def test_create_and_read(client, sample_body):
    created = send(client, "POST", "/alerts", sample_body)
    print(created.status_code, created.headers, created.body[:2000])
    alert_id = json.loads(created.body)["id"]
    read = send(client, "GET", f"/alerts/{alert_id}")
    print(read.status_code, read.body[:3000])
    assert read.status_code == 200
