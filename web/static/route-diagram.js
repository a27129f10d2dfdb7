// Draws a file's route with the bpmn-js viewer and marks the steps done and the step now.
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("diagram");
    if (!box || !window.BpmnJS) { return; }
    var viewer = new window.BpmnJS({ container: box });
    Promise.all([
      fetch(box.dataset.xml, { credentials: "same-origin" }).then(function (r) { return r.text(); }),
      fetch(box.dataset.state, { credentials: "same-origin" }).then(function (r) { return r.json(); })
    ]).then(function (results) {
      return viewer.importXML(results[0]).then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        var state = results[1];
        Object.keys(state.done).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "step-done"); }
        });
        state.current.forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "step-current"); }
        });
        canvas.zoom("fit-viewport");
        box.setAttribute("data-ready", "1");
      });
    }).catch(function () {
      box.textContent = box.dataset.error;
    });
  }
  document.addEventListener("DOMContentLoaded", start);
}());
