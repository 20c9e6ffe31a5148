/* A signature drawn with a finger (or a mouse) on the page's canvas; on sending, the drawing goes
   as a PNG data URL in the form's hidden field. No inline script: the canvas names its field in a
   data- attribute, so the Content-Security-Policy (script-src 'self') holds. */
(function () {
  "use strict";

  var canvas = document.querySelector("canvas.signature-pad[data-signature-input]");
  if (!canvas || !canvas.getContext) {
    return;
  }
  var form = canvas.closest("form");
  var input = document.getElementById(canvas.getAttribute("data-signature-input"));
  var clear = form.querySelector(".signature-clear");
  var context = canvas.getContext("2d");
  var drawing = false;
  var inked = false;

  function reset() {
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.lineWidth = 4;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#10243e";
    inked = false;
    clear.disabled = true;
  }

  function point(event) {
    var box = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * canvas.width / box.width,
      y: (event.clientY - box.top) * canvas.height / box.height
    };
  }

  canvas.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    var p = point(event);
    context.beginPath();
    context.moveTo(p.x, p.y);
    context.lineTo(p.x + 0.1, p.y + 0.1);
    context.stroke();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) {
      return;
    }
    event.preventDefault();
    var p = point(event);
    context.lineTo(p.x, p.y);
    context.stroke();
    inked = true;
    clear.disabled = false;
  });
  function stop() {
    drawing = false;
  }
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  clear.addEventListener("click", reset);
  form.addEventListener("submit", function () {
    input.value = inked ? canvas.toDataURL("image/png") : "";
  });
  reset();
}());
