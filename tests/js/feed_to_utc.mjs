// Read an iCalendar feed on stdin with Mozilla's ical.js (Thunderbird's parser) and print what a
// client would show: each VEVENT's UID, SEQUENCE, summary and its start and end in UTC.
import ICAL from "ical.js";

let text = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) text += chunk;

const root = new ICAL.Component(ICAL.parse(text));
for (const zone of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(zone));
}
const iso = (time) => new Date(time.toUnixTime() * 1000).toISOString();
const events = root.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  return {
    uid: event.uid,
    sequence: event.sequence,
    summary: event.summary,
    status: component.getFirstPropertyValue("status"),
    start: iso(event.startDate),
    end: iso(event.endDate),
  };
});
const refresh = root.getFirstProperty("refresh-interval");
console.log(
  JSON.stringify({
    name: root.getFirstPropertyValue("x-wr-calname"),
    refresh: refresh ? refresh.getFirstValue().toString() : null,
    refreshType: refresh ? refresh.type : null,
    events,
  }),
);
