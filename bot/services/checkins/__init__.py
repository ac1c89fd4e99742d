"""Evening check-ins (*bilan du soir*): off until the member opts in; no streaks, no guilt.

Each member has an hour, days and a time zone; the next check-in is computed in that
zone (daylight-saving changes included) and claimed in the database for the local day
before it goes, so one day never gets two. Check-ins go through the low-priority lane,
spread over a few minutes, so live rooms stay live at 20:00.

The package, one module per responsibility: common (tags, hours, zones, local days),
scheduling, settings, answers, views; service assembles them into CheckinService.
"""

from bot.services.checkins.common import (
    HOURS,
    PAUSE,
    PERIODS,
    RETENTION_DAYS,
    SNOOZE,
    SPARK,
    SPREAD_SECONDS,
    TAGS,
    TRENDS_CHANGE,
    TRENDS_KEPT_DAYS,
    TRENDS_MINIMUM,
    ZONE_KEYS,
    ZONES,
    local_day,
    next_checkin,
    period,
    spread,
    zone_name,
)
from bot.services.checkins.service import CheckinService
from bot.services.checkins.views import mood_chart

__all__ = [
    "CheckinService",
    "HOURS",
    "PAUSE",
    "PERIODS",
    "RETENTION_DAYS",
    "SNOOZE",
    "SPARK",
    "SPREAD_SECONDS",
    "TAGS",
    "TRENDS_CHANGE",
    "TRENDS_KEPT_DAYS",
    "TRENDS_MINIMUM",
    "ZONES",
    "ZONE_KEYS",
    "local_day",
    "mood_chart",
    "next_checkin",
    "period",
    "spread",
    "zone_name",
]
