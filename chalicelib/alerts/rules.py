"""Rules an alert's content must meet beyond its shape: its time window and the service area."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.errors import FieldError, InvalidAlertError
from chalicelib.geo.areas import ServiceArea
from chalicelib.models.alert import AlertContent, Area, CircleArea, PolygonArea

# Burgernet's clock and ours may differ a little; a last sighting "in the future" beyond this is an error.
CLOCK_SKEW = timedelta(minutes=5)


def check_content(
    content: AlertContent,
    *,
    now: datetime,
    max_duration: timedelta,
    service_area: ServiceArea,
    check_expiry: bool = True,
) -> None:
    """Raise ``InvalidAlertError`` listing every rule ``content`` breaks."""
    errors = [
        *_time_errors(content, now, max_duration, check_expiry),
        *_place_errors(content, service_area),
    ]
    if errors:
        raise InvalidAlertError(tuple(errors))


def _time_errors(content: AlertContent, now: datetime, max_duration: timedelta, check_expiry: bool) -> list[FieldError]:
    errors = []
    if content.last_seen.at > now + CLOCK_SKEW:
        errors.append(FieldError("lies in the future", pointer="/last_seen/at"))
    if not check_expiry:
        return errors
    if content.expires_at <= now:
        errors.append(FieldError("lies in the past; an alert must expire later than now", pointer="/expires_at"))
    elif content.expires_at > now + max_duration:
        hours = int(max_duration.total_seconds() // 3600)
        message = f"lies more than {hours} hours ahead; renew the alert later instead"
        errors.append(FieldError(message, pointer="/expires_at"))
    return errors


_OUTSIDE = "lies outside the service area (the Netherlands)"


def _place_errors(content: AlertContent, service_area: ServiceArea) -> list[FieldError]:
    errors = []
    seen = content.last_seen
    if seen.lat is not None and seen.lon is not None and not service_area.contains_point(seen.lat, seen.lon):
        errors.append(FieldError(f"{_OUTSIDE}; are lat and lon swapped?", pointer="/last_seen"))
    problem = area_error(content.area, service_area)
    if problem:
        errors.append(problem)
    return errors


def area_error(area: Area, service_area: ServiceArea) -> FieldError | None:
    """The area's problem with the service area (outside it, or its shape), as the create reports it; None if none."""
    if isinstance(area, CircleArea):
        if not service_area.contains_point(area.lat, area.lon):
            return FieldError(f"the centre {_OUTSIDE}", pointer="/area")
        if not service_area.contains_circle(area.lat, area.lon, area.radius_km):
            message = "the circle reaches beyond the service area; use a smaller radius or a national area"
            return FieldError(message, pointer="/area/radius_km")
    if isinstance(area, PolygonArea) and not service_area.contains_polygon(area.coordinates):
        message = f"the polygon {_OUTSIDE}; positions are [lon, lat]"
        return FieldError(message, pointer="/area/coordinates")
    return None
