// Draws a route with the bpmn-js viewer and puts on each step the files there now and the
// median hours held (figures from the server; the page's table has the same numbers).
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("diagram");
    if (!box || !window.BpmnJS) { return; }
    var viewer = new window.BpmnJS({ container: box });
    Promise.all([
      fetch(box.dataset.xml, { credentials: "same-origin" }).then(function (r) { return r.text(); }),
      fetch(box.dataset.heat, { credentials: "same-origin" }).then(function (r) { return r.json(); })
    ]).then(function (results) {
      return viewer.importXML(results[0]).then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        var overlays = viewer.get("overlays");
        var heat = results[1];
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
        canvas.zoom("fit-viewport");
        box.setAttribute("data-ready", "1");
      });
    }).catch(function () {
      box.textContent = box.dataset.error;
    });
  }
  document.addEventListener("DOMContentLoaded", start);
}());
