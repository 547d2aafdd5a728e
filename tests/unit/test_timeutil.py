"""One date format everywhere; times in the association's zone with the zone named; a bad zone stops the app."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from app import config
from app.timeutil import format_date

DETROIT = ZoneInfo("America/Detroit")


def test_a_time_is_shown_in_the_zone_and_names_it():
    # 14:05 UTC on 2 December is 09:05 in Detroit (EST, UTC−5).
    assert format_date(datetime(2026, 12, 2, 14, 5, 9), "minute", DETROIT) == "2 December 2026 at 09:05 EST"
    assert format_date(datetime(2026, 12, 2, 14, 5, 9), "second", DETROIT) == "2 December 2026 at 09:05:09 EST"
    # 03:30 UTC on 1 July is 23:30 the evening before in Detroit (EDT, UTC−4): the day is the zone's day.
    assert format_date(datetime(2026, 7, 1, 3, 30), "minute", DETROIT) == "30 June 2026 at 23:30 EDT"
    assert format_date(datetime(2026, 7, 1, 3, 30), "day", DETROIT) == "30 June 2026"


def test_without_a_zone_a_time_is_utc_and_says_so():
    assert format_date(datetime(2026, 12, 2, 14, 5), "minute") == "2 December 2026 at 14:05 UTC"


def test_a_date_has_no_zone_and_reads_the_same_everywhere():
    assert format_date(date(2026, 12, 29), "minute", DETROIT) == "29 December 2026"
    assert format_date(None) == ""


def test_an_unknown_time_zone_is_refused_by_name():
    settings = config.settings() | {"TIMEZONE": "Mars/Olympus_Mons"}
    with pytest.raises(config.SettingsError, match="TIMEZONE must be a time zone name .* not 'Mars/Olympus_Mons'"):
        config.check_values(settings)
    config.check_values(config.settings() | {"TIMEZONE": "UTC"})


def test_the_audit_log_stays_in_utc_while_other_pages_use_the_zone(app, client):
    with app.test_request_context():
        template = app.jinja_env.from_string('{{ t|date("minute") }} / {{ t|date("minute", utc=True) }}')
        assert (
            template.render(t=datetime(2026, 12, 2, 14, 5))
            == "2 December 2026 at 09:05 EST / 2 December 2026 at 14:05 UTC"
        )
