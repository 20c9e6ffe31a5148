// The bulk issue page: send the form in the background and show the progress, read from the
// server (computed from the database), until nothing is pending any more.
document.addEventListener("DOMContentLoaded", function () {
  var status = document.getElementById("bulk-status");
  var form = document.getElementById("bulk-form");
  if (!status || !form) return;
  var bar = document.getElementById("bulk-progress");
  var timer = null;
  function show(s) {
    status.textContent = status.dataset.template.replace("%(issued)s", s.issued)
      .replace("%(eligible)s", s.eligible).replace("%(pending)s", s.pending);
    bar.max = s.eligible || 1;
    bar.value = s.issued;
    return s;
  }
  function poll() {
    return fetch(status.dataset.url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); }).then(show);
  }
  function start() { if (!timer) timer = setInterval(poll, 1500); }
  function stop() { clearInterval(timer); timer = null; }
  if (status.dataset.pending !== "0") start();  // a run is going on: follow it
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    start();
    fetch(form.action || location.href, {method: "POST", body: new FormData(form), credentials: "same-origin",
                                          headers: {Accept: "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (result) {
        stop();
        return poll().then(function () { status.textContent += " " + (result.message || result.error || ""); });
      })
      .finally(function () { button.disabled = false; });
  });
});
