/* Times in the viewer's own zone. The server writes every <time class="viewer-zone"> in the
   policy's zone (the fallback without JavaScript); this replaces the text with the same
   instant in the browser's zone, in the server's layout ("Sun 22 Nov 2026 00:00 GMT+9"),
   keeping the server's text as the tooltip. Loaded with <script src defer>: no inline
   script, so the page's Content-Security-Policy holds. */
(function () {
  "use strict";
  var format = new Intl.DateTimeFormat("en-GB", {
    weekday: "short", day: "2-digit", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short"
  });

  function text(at) {
    var p = {};
    format.formatToParts(at).forEach(function (part) { p[part.type] = part.value; });
    return p.weekday + " " + p.day + " " + p.month + " " + p.year + " " +
      p.hour + ":" + p.minute + " " + p.timeZoneName;
  }

  function fill(root) {
    var times = root.querySelectorAll("time.viewer-zone[datetime]");
    for (var i = 0; i < times.length; i++) {
      var el = times[i];
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at.getTime())) continue;
      if (!el.title) el.title = el.textContent.trim();
      el.textContent = text(at);
      el.setAttribute("data-zone", "viewer");
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { fill(document); });
  } else {
    fill(document);
  }
  // Parts htmx swaps in (the queue's rows, the clocks) get the same treatment.
  document.addEventListener("htmx:afterSettle", function (event) {
    fill(event.target && event.target.querySelectorAll ? event.target : document);
  });
})();
