// The bulk issue page: send the form in the background and show the progress, read from the
// server (computed from the database), until nothing is pending any more.
// An answer that is not JSON (an error page, a sign-in page after a redirect) stops the polling
// and says so; a network error is retried a few times, each wait longer, then said too. The
// messages come translated from the page (data- attributes): this script has no gettext.
document.addEventListener("DOMContentLoaded", function () {
  var status = document.getElementById("bulk-status");
  var form = document.getElementById("bulk-form");
  var alert = document.getElementById("bulk-error");
  if (!status || !form || !alert) return;
  var bar = document.getElementById("bulk-progress");
  var DELAY = 1500, RETRIES = 5;
  var timer = null, following = false, sending = false, failures = 0;

  function NotJson() {}

  function fail(message) {
    stop();
    alert.textContent = message;
    alert.hidden = false;
  }
  function json(response) {
    var type = response.headers.get("Content-Type") || "";
    if (response.redirected || type.indexOf("application/json") !== 0) throw new NotJson();
    return response.json().catch(function () { throw new NotJson(); });
  }
  function show(s) {
    status.textContent = status.dataset.template.replace("%(issued)s", s.issued)
      .replace("%(eligible)s", s.eligible).replace("%(pending)s", s.pending);
    bar.max = s.eligible || 1;
    bar.value = s.issued;
    return s;
  }
  function poll() {
    return fetch(status.dataset.url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) {
        if (!r.ok) throw new NotJson();
        return json(r);
      })
      .then(function (s) {
        failures = 0;
        show(s);
        if (!sending && s.pending === 0) stop();  // nothing left to follow
        return s;
      });
  }
  function tick() {
    timer = null;
    poll().then(schedule, function (error) {
      if (error instanceof NotJson) return fail(alert.dataset.notJson);
      failures += 1;  // the network: try again a little later, a few times
      if (failures > RETRIES) return fail(alert.dataset.offline);
      schedule();
    });
  }
  function schedule() {
    if (following && !timer) timer = setTimeout(tick, DELAY * Math.pow(2, failures));
  }
  function start() { following = true; schedule(); }
  function stop() { following = false; clearTimeout(timer); timer = null; }

  if (status.dataset.pending !== "0") start();  // a run is going on: follow it
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    alert.hidden = true;
    sending = true;
    failures = 0;
    start();
    fetch(form.action || location.href, {method: "POST", body: new FormData(form), credentials: "same-origin",
                                          headers: {Accept: "application/json"}})
      .then(json)
      .then(function (result) {
        sending = false;
        stop();
        return poll().then(function () {
          status.textContent += " " + (result.message || "");
          if (result.error) fail(result.error);
        });
      })
      .catch(function (error) {
        sending = false;
        fail(error instanceof NotJson ? alert.dataset.notJson : alert.dataset.offline);
      })
      .finally(function () { button.disabled = false; });
  });
});
