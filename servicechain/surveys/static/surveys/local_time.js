// Times the server sends in ISO 8601 (<time datetime="…" data-local-time>) are shown on the
// respondent's own clock, 24-hour, instead of the server's time zone.
(function () {
  function showLocal(root) {
    root.querySelectorAll("time[data-local-time]").forEach(function (element) {
      var moment = new Date(element.getAttribute("datetime"));
      if (isNaN(moment.getTime())) return;
      element.textContent = moment.toLocaleTimeString([], {
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { showLocal(document); });
  document.addEventListener("htmx:afterSwap", function (event) { showLocal(event.detail.target); });
})();
