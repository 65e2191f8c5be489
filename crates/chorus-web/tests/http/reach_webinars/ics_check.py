"""Reads an iCalendar document on stdin with the `icalendar` package (PyPI), an independent
parser, and prints what the webinar tests check as JSON: METHOD, UID, SEQUENCE, STATUS, the
event's zone, its start and end in UTC as the IANA database places them, and the UTC offset
the document's own VTIMEZONE gives at the start (so a calendar program that does not know the
IANA name places it the same)."""
import json
import sys
from datetime import timezone

import icalendar

cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
events = cal.walk("VEVENT")
assert len(events) == 1, f"{len(events)} events"
ev = events[0]
start = ev.decoded("DTSTART")
end = ev.decoded("DTEND")
tzid = ev["DTSTART"].params.get("TZID")
zones = {str(z["TZID"]): z for z in cal.walk("VTIMEZONE")}
own = zones[tzid].to_tz() if tzid in zones else None
naive = start.replace(tzinfo=None)
own_offset = own.utcoffset(naive) if own is not None and hasattr(own, "utcoffset") else None
if own is not None and own_offset is None:
    own_offset = naive.replace(tzinfo=own).utcoffset()
print(json.dumps({
    "method": str(cal.get("METHOD")),
    "uid": str(ev["UID"]),
    "sequence": int(ev.decoded("SEQUENCE")),
    "status": str(ev.get("STATUS")),
    "summary": str(ev.get("SUMMARY")),
    "description": str(ev.get("DESCRIPTION", "")),
    "url": str(ev.get("URL", "")),
    "attendee": str(ev.get("ATTENDEE")),
    "tzid": tzid,
    "start_utc": start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "end_utc": end.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "start_local": naive.strftime("%Y-%m-%dT%H:%M:%S"),
    "own_offset_seconds": None if own_offset is None else int(own_offset.total_seconds()),
    "zone_offset_seconds": int(start.utcoffset().total_seconds()),
}))
