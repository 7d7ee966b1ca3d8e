"""One settings object: every EVENTS_ variable read once, checked, in events/core/settings.py."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from limits import parse

from events.core import settings as settings_module
from events.core.settings import SettingsError, get_settings, hand_to_workers, read_settings
from tests.settings_env import set_environment

ROOT = Path(__file__).resolve().parent.parent
EVERY_VARIABLE = {
    "EVENTS_DATABASE_URL": "postgresql://app@db.example.cn:5432/canal",
    "EVENTS_SECRET_KEY": "a-secret-key",
    "EVENTS_BASE_URL": "https://events.example.cn/",
    "EVENTS_SMTP_URL": "smtp://mail.example.cn:587?starttls=1",
    "EVENTS_SMTP_FROM": "events@example.cn",
    "EVENTS_SMS_BACKEND": "tests.notify.test_outbox:RecordingSms",
    "EVENTS_SENDER": "off",
    "EVENTS_REGISTRATION_LIMIT_PER_IP": "500/minute",
    "EVENTS_REGISTRATION_LIMIT_PER_PHONE": "3 per day",
    "EVENTS_DATA_DIR": "/srv/events",
    "EVENTS_SERVED_AT": "http://127.0.0.1:8123",
    "EVENTS_STORAGE_URL": "s3://canal-media/contests/2026/",
    "EVENTS_S3_ENDPOINT_URL": "https://oss-cn-hangzhou.aliyuncs.com/",
    "EVENTS_S3_ACCESS_KEY": "an-access-key",
    "EVENTS_S3_SECRET_KEY": "an-s3-secret",
    "EVENTS_S3_REGION": "oss-cn-hangzhou",
}


def test_every_variable_is_a_field_of_the_settings():
    settings = read_settings(EVERY_VARIABLE)
    assert settings.database_url == "postgresql://app@db.example.cn:5432/canal"
    assert settings.is_postgres
    assert settings.secret_key == "a-secret-key"
    assert settings.base_url == "https://events.example.cn"  # no trailing slash
    assert settings.smtp_url == "smtp://mail.example.cn:587?starttls=1"
    assert settings.smtp_from == "events@example.cn"
    assert settings.sms_backend == "tests.notify.test_outbox:RecordingSms"
    assert settings.sender is False
    assert settings.registration_limit_per_ip == parse("500/minute")
    assert settings.registration_limit_per_phone == parse("3/day")
    assert settings.data_dir == Path("/srv/events")
    assert settings.served_at == "http://127.0.0.1:8123"
    assert settings.storage_url == "s3://canal-media/contests/2026"  # no trailing slash
    assert settings.s3_endpoint_url == "https://oss-cn-hangzhou.aliyuncs.com"
    assert (settings.s3_access_key, settings.s3_secret_key) == ("an-access-key", "an-s3-secret")
    assert settings.s3_region == "oss-cn-hangzhou"
    assert "an-s3-secret" not in repr(settings)


def test_the_defaults(tmp_path):
    settings = read_settings({"EVENTS_DATA_DIR": str(tmp_path), "EVENTS_SENDER": ""})
    assert settings.database_url == "sqlite:///var/events.sqlite3" and not settings.is_postgres
    assert (settings.base_url, settings.smtp_url, settings.served_at) == (None, None, None)
    assert settings.smtp_from == "noreply@canal-events.local"
    assert settings.sms_backend == "console"
    assert settings.sender is True
    assert settings.registration_limit_per_ip == parse("120/minute")
    assert settings.registration_limit_per_phone == parse("10/hour")
    assert settings.storage_url is None  # files go to data_dir/media
    assert (settings.s3_endpoint_url, settings.s3_access_key, settings.s3_secret_key) == (
        None,
        None,
        None,
    )
    assert settings.s3_region == "us-east-1"
    assert read_settings({"EVENTS_SECRET_KEY": "k"}).data_dir == Path("var")


def test_without_a_secret_key_one_is_generated_once_into_the_data_dir(tmp_path):
    folder = tmp_path / "data"
    first = read_settings({"EVENTS_DATA_DIR": str(folder)}).secret_key
    assert len(first) >= 48
    assert stat.S_IMODE((folder / "secret_key").stat().st_mode) == 0o600
    assert read_settings({"EVENTS_DATA_DIR": str(folder)}).secret_key == first


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EVENTS_REGISTRATION_LIMIT_PER_IP", "lots"),
        ("EVENTS_REGISTRATION_LIMIT_PER_PHONE", "10 a fortnight"),
        ("EVENTS_SENDER", "sometimes"),
        ("EVENTS_SMS_BACKEND", "aliyun"),
        ("EVENTS_BASE_URL", "events.example.cn"),
        ("EVENTS_STORAGE_URL", "/srv/media"),
        ("EVENTS_STORAGE_URL", "file://srv/media"),  # a host, not a folder
        ("EVENTS_STORAGE_URL", "file:///"),
        ("EVENTS_STORAGE_URL", "file:///srv/../etc"),
        ("EVENTS_STORAGE_URL", "ftp://files.example.cn/media"),
        ("EVENTS_STORAGE_URL", "s3://"),
        ("EVENTS_STORAGE_URL", "s3://Canal_Media"),
        ("EVENTS_STORAGE_URL", "s3://canal-media/a/../b"),
        ("EVENTS_STORAGE_URL", "s3://canal-media/photos?acl=public"),
        ("EVENTS_S3_ENDPOINT_URL", "minio:9000"),
        ("EVENTS_S3_REGION", "cn north"),
    ],
)
def test_a_value_the_application_cannot_use_is_refused_naming_its_variable(name, value):
    with pytest.raises(SettingsError, match=name) as refused:
        read_settings({"EVENTS_SECRET_KEY": "k", name: value})
    assert repr(value) in str(refused.value)


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("file:///srv/canal/media/", "file:///srv/canal/media"),
        ("file://localhost/srv//media", "file:///srv/media"),
        ("file:///srv/%E7%85%A7%E7%89%87", "file:///srv/%E7%85%A7%E7%89%87"),
        ("file:///srv/照片 2026", "file:///srv/%E7%85%A7%E7%89%87%202026"),
        ("s3://canal-media", "s3://canal-media"),
        ("s3://canal-media/", "s3://canal-media"),
        (
            "s3://canal.media-1250000000/contests//2026/",
            "s3://canal.media-1250000000/contests/2026",
        ),
    ],
)
def test_the_storage_url_is_a_folder_or_a_bucket_with_a_prefix(url, normalised):
    assert read_settings({"EVENTS_SECRET_KEY": "k", "EVENTS_STORAGE_URL": url}).storage_url == (
        normalised
    )


def test_keys_in_the_storage_url_are_refused_without_repeating_them():
    with pytest.raises(SettingsError, match="EVENTS_STORAGE_URL") as refused:
        read_settings({"EVENTS_SECRET_KEY": "k", "EVENTS_STORAGE_URL": "s3://AKID:s3cr3t@media"})
    assert "s3cr3t" not in str(refused.value)
    assert "EVENTS_S3_SECRET_KEY" in str(refused.value)


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ("EVENTS_S3_ACCESS_KEY", "EVENTS_S3_SECRET_KEY"),
        ("EVENTS_S3_SECRET_KEY", "EVENTS_S3_ACCESS_KEY"),
    ],
)
def test_the_s3_keys_go_together(given, missing):
    with pytest.raises(SettingsError, match=missing):
        read_settings({"EVENTS_SECRET_KEY": "k", given: "value"})


def test_the_process_reads_the_environment_once(request):
    set_environment(request, EVENTS_SMTP_FROM="first@example.cn")
    assert get_settings() is get_settings()
    os.environ["EVENTS_SMTP_FROM"] = "second@example.cn"  # restored by set_environment
    assert get_settings().smtp_from == "first@example.cn"
    get_settings.cache_clear()
    assert get_settings().smtp_from == "second@example.cn"


def test_the_served_address_is_handed_to_this_process_and_its_children(request):
    set_environment(request, EVENTS_SERVED_AT=None)
    assert get_settings().served_at is None
    hand_to_workers(served_at="http://127.0.0.1:8123")
    assert get_settings().served_at == "http://127.0.0.1:8123"
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "from events.core.settings import get_settings; print(get_settings().served_at)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert child.stdout.strip() == "http://127.0.0.1:8123"


ENVIRONMENT_READ = re.compile(r"\benviron\b|\bgetenv\b|\bputenv\b|\bunsetenv\b")
ALLOWED = {
    "events/core/settings.py",  # the settings object
    "events/__init__.py",  # the PICCOLO_CONF default Piccolo looks for
}


def test_nothing_else_in_the_application_touches_the_environment():
    found = []
    for package in ("events", "web"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name in ALLOWED:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if ENVIRONMENT_READ.search(line):
                    found.append(f"{name}:{number}: {line.strip()}")
    assert found == [], "environment read outside events/core/settings.py:\n" + "\n".join(found)


def test_the_scan_sees_what_it_looks_for():
    """The scan above would find each way of reading the environment."""
    for line in (
        'os.environ.get("X")',
        'os.environ["X"] = "1"',
        "from os import environ",
        'os.getenv("X")',
        'os.putenv("X", "1")',
    ):
        assert ENVIRONMENT_READ.search(line), line
    assert not ENVIRONMENT_READ.search("JinjaTemplateEngine.from_environment(environment())")
    assert ENVIRONMENT_READ.search(Path(settings_module.__file__).read_text(encoding="utf-8"))
