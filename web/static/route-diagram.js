// Draws a route with the bpmn-js viewer, then marks it with figures from the server: on a
// file's route ("track"), the steps done and the step where the file is now; on a route's
// heat map ("heat"), the files at each step now and the median hours held (the page's table
// has the same numbers).
(function () {
  "use strict";
  var decorate = {
    track: function (viewer, state) {
      var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
      // a file back at a step it passed before is marked where it is now, not as done there
      Object.keys(state.done).forEach(function (id) {
        if (registry.get(id) && state.current.indexOf(id) < 0) { canvas.addMarker(id, "step-done"); }
      });
      state.current.forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, "step-current"); }
      });
    },
    heat: function (viewer, heat) {
      var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
      var overlays = viewer.get("overlays");
      Object.keys(heat).forEach(function (id) {
        if (!registry.get(id)) { return; }
        var figure = heat[id];
        var badge = document.createElement("div");
        badge.className = "heat" + (figure.now > 0 ? " busy" : "");
        badge.textContent = figure.label;
        badge.setAttribute("data-step", id);
        overlays.add(id, { position: { bottom: -4, left: 0 }, html: badge });
        if (figure.now > 0) { canvas.addMarker(id, "step-current"); }
      });
    }
  };
  function start() {
    var box = document.getElementById("diagram");
    if (!box || !window.BpmnJS || !decorate[box.dataset.kind]) { return; }
    var viewer = new window.BpmnJS({ container: box });
    Promise.all([
      fetch(box.dataset.xml, { credentials: "same-origin" }).then(function (r) { return r.text(); }),
      fetch(box.dataset.figures, { credentials: "same-origin" }).then(function (r) { return r.json(); })
    ]).then(function (results) {
      return viewer.importXML(results[0]).then(function () {
        decorate[box.dataset.kind](viewer, results[1]);
        viewer.get("canvas").zoom("fit-viewport");
        box.setAttribute("data-ready", "1");
      });
    }).catch(function () {
      box.textContent = box.dataset.error;
    });
  }
  window.SanchikaDiagram = decorate;  // for tests/test_file_pages.py, which runs it under node
  if (typeof document !== "undefined") { document.addEventListener("DOMContentLoaded", start); }
}());
