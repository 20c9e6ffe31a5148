/* The attendance grid: each cell is saved as soon as it changes, without reloading the page.
   Without this script the grid's form still saves every cell with its button. No inline script:
   texts and addresses come from data- attributes, so a strict Content-Security-Policy holds. */
(function () {
  "use strict";

  var grid = document.querySelector("form.attendance-grid[data-save-url]");
  if (!grid || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var saveUrl = grid.getAttribute("data-save-url");
  var token = grid.querySelector("input[name=csrf_token]").value;
  var statusLine = document.getElementById("grid-status");
  var reason = grid.querySelector("input[name=reason]");

  function cellOf(element) {
    return element.closest ? element.closest("td.cell") : null;
  }

  function say(text, isError) {
    statusLine.textContent = text;
    statusLine.classList.toggle("error", Boolean(isError));
    statusLine.setAttribute("role", isError ? "alert" : "status");
  }

  function setState(cell, state) {
    cell.classList.remove("is-saving", "is-saved", "is-failed");
    if (state) {
      cell.classList.add("is-" + state);
    }
    cell.setAttribute("aria-busy", state === "saving" ? "true" : "false");
  }

  function restore(cell) {
    var select = cell.querySelector("select");
    select.value = cell.getAttribute("data-status");
    cell.querySelector("input.note").value = cell.getAttribute("data-note");
  }

  function saved(cell, data) {
    var select = cell.querySelector("select");
    var blank = select.querySelector("option[value='']");
    cell.setAttribute("data-status", data.status);
    cell.setAttribute("data-note", data.note);
    if (data.status && blank) {
      blank.remove(); // a recorded mark is changed, never unmarked
    }
    if (data.recorded) {
      cell.title = data.recorded;
    }
    var row = cell.getAttribute("data-registration");
    var rate = grid.querySelector("[data-rate-of='" + row + "']");
    var excused = grid.querySelector("[data-excused-of='" + row + "']");
    var sessionRate = document.getElementById("session-rate");
    if (sessionRate && data.session_rate) { sessionRate.textContent = data.session_rate; }
    if (rate) { rate.textContent = data.rate; }
    if (excused) { excused.textContent = data.excused; }
    setState(cell, "saved");
    say(data.message, false);
  }

  function save(cell) {
    var body = new URLSearchParams();
    body.set("csrf_token", token);
    body.set("registration_id", cell.getAttribute("data-registration"));
    body.set("slot_id", cell.getAttribute("data-slot"));
    body.set("status", cell.querySelector("select").value);
    body.set("note", cell.querySelector("input.note").value);
    if (reason) {
      body.set("reason", reason.value);
    }
    setState(cell, "saving");
    say(grid.getAttribute("data-saving-text"), false);
    fetch(saveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": token}
    }).then(function (response) {
      return response.json().catch(function () {
        return {};
      }).then(function (data) {
        if (!response.ok || data.error) {
          throw new Error(data.error || grid.getAttribute("data-error-text"));
        }
        saved(cell, data);
      });
    }).catch(function (error) {
      restore(cell);
      setState(cell, "failed");
      say(error && error.message ? error.message : grid.getAttribute("data-error-text"), true);
    });
  }

  grid.addEventListener("change", function (event) {
    var cell = cellOf(event.target);
    if (cell && (event.target.tagName === "SELECT" || event.target.classList.contains("note"))) {
      save(cell);
    }
  });

  /* Enter moves down the column (Shift+Enter up), so a slot is marked trainee after trainee;
     in a note it also ends the typing, which saves the note. */
  grid.addEventListener("keydown", function (event) {
    var cell = cellOf(event.target);
    if (!cell || event.key !== "Enter" || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    event.preventDefault();
    var row = cell.parentElement;
    var target = event.shiftKey ? row.previousElementSibling : row.nextElementSibling;
    var same = target && target.cells[cell.cellIndex];
    var field = same && same.querySelector(event.target.tagName === "SELECT" ? "select" : "input.note");
    if (field) {
      field.focus();
    } else {
      event.target.blur();
      event.target.focus();
    }
  });
}());
