// The bulk issue page: start the job in the background and show its progress and its outcome,
// read from the server (the job's row and the certificates in the database), until the job ends.
// An answer that is not JSON (an error page, a sign-in page after a redirect) stops the polling
// and says so; a network error is retried a few times, each wait longer, then said too. The
// messages come translated from the server (the page's data- attributes, the job's message):
// this script has no gettext.
document.addEventListener("DOMContentLoaded", function () {
  var status = document.getElementById("bulk-status");
  var form = document.getElementById("bulk-form");
  var alert = document.getElementById("bulk-error");
  if (!status || !form || !alert) return;
  var bar = document.getElementById("bulk-progress");
  var outcome = document.getElementById("bulk-job");
  var DELAY = 1500, RETRIES = 5;
  var timer = null, following = false, failures = 0;

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
  function running(s) { return s.job ? !s.job.finished : s.pending > 0; }
  function show(s) {
    status.textContent = status.dataset.template.replace("%(issued)s", s.issued)
      .replace("%(eligible)s", s.eligible).replace("%(pending)s", s.pending);
    if (s.job && !s.job.finished) {
      bar.max = s.job.total || 1;
      bar.value = s.job.done;
    } else {
      bar.max = s.eligible || 1;
      bar.value = s.issued;
    }
    if (s.job && outcome) {
      outcome.textContent = s.job.message;
      outcome.className = "flash " + (s.job.error ? "flash-error" : "flash-info");
      outcome.hidden = false;
    }
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
        if (!running(s)) stop();  // the job ended: nothing left to follow
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

  if (status.dataset.running === "1" || status.dataset.pending !== "0") start();  // a run is going on: follow it
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    alert.hidden = true;
    failures = 0;
    fetch(form.action || location.href, {method: "POST", body: new FormData(form), credentials: "same-origin",
                                          headers: {Accept: "application/json"}})
      .then(json)
      .then(function (answer) {
        if (answer.error && !answer.job) return fail(answer.error);  // refused: e.g. one is already running
        show(answer);
        if (running(answer)) start();
      })
      .catch(function (error) {
        fail(error instanceof NotJson ? alert.dataset.notJson : alert.dataset.offline);
      })
      .finally(function () { button.disabled = false; });
  });
});
