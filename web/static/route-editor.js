/* The route editor: bpmn-js modeler plus a small panel for what Sanchika reads from a route
   (a lane's role, a flow's choice and condition, a step's name and time limit).  Check and
   publish post the XML; the problems come back with element ids and are marked on them. */
(function () {
  "use strict";
  var root = document.getElementById("route-editor");
  if (!root || !window.BpmnJS) { return; }
  var SPIFF = {
    name: "SpiffWorkflow", uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    prefix: "spiffworkflow", xml: { tagAlias: "lowerCase" }, associations: [],
    types: [
      { name: "Properties", superClass: ["Element"],
        properties: [{ name: "properties", type: "Property", isMany: true }] },
      { name: "Property", superClass: ["Element"],
        properties: [{ name: "name", type: "String", isAttr: true },
                     { name: "value", type: "String", isAttr: true }] }
    ]
  };
  var modeler = new window.BpmnJS({ container: "#canvas", moddleExtensions: { spiffworkflow: SPIFF } });
  var modeling = modeler.get("modeling"), moddle = modeler.get("moddle");
  var canvas = modeler.get("canvas"), overlays = modeler.get("overlays");
  var registry = modeler.get("elementRegistry");
  var panel = document.getElementById("panel");
  var status = document.getElementById("editor-status");
  var list = document.getElementById("problems");
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  var marked = [];
  var selected = null;

  function msg(name) { return root.dataset[name] || name; }
  function say(text, kind) { status.textContent = text; status.className = "flash " + (kind || "info"); }

  function field(label, id, value, multiline) {
    var wrap = document.createElement("p");
    var lab = document.createElement("label");
    lab.htmlFor = id; lab.textContent = label;
    var input = document.createElement(multiline ? "textarea" : "input");
    input.id = id; input.value = value || "";
    wrap.appendChild(lab); wrap.appendChild(input);
    panel.appendChild(wrap);
    return input;
  }

  function properties(bo) {
    var ext = bo.extensionElements;
    var values = ext ? (ext.get("values") || []) : [];
    return values.filter(function (v) { return v.$type === "spiffworkflow:Properties"; })[0];
  }

  function limitOf(bo) {
    var props = properties(bo);
    var found = props ? props.get("properties").filter(function (p) { return p.name === "limit_days"; })[0] : null;
    return found ? found.value : "";
  }

  function setLimit(element, value) {
    var bo = element.businessObject;
    var ext = bo.extensionElements || moddle.create("bpmn:ExtensionElements", { values: [] });
    var props = properties(bo);
    if (!props) {
      props = moddle.create("spiffworkflow:Properties", { properties: [] });
      props.$parent = ext;
      ext.get("values").push(props);
    }
    var items = props.get("properties");
    var prop = items.filter(function (p) { return p.name === "limit_days"; })[0];
    value = value.trim();
    if (!value && prop) { items.splice(items.indexOf(prop), 1); }
    else if (value && !prop) {
      prop = moddle.create("spiffworkflow:Property", { name: "limit_days", value: value });
      prop.$parent = props;
      items.push(prop);
    } else if (prop) { prop.value = value; }
    ext.$parent = bo;
    modeling.updateProperties(element, { extensionElements: ext });
  }

  function setCondition(element, text) {
    text = text.trim();
    var expr = text ? moddle.create("bpmn:FormalExpression", { body: text }) : undefined;
    modeling.updateProperties(element, { conditionExpression: expr });
  }

  function showPanel(element) {
    // A click on a flow's or an event's name selects the label: edit what it labels.
    if (element && element.labelTarget) { element = element.labelTarget; }
    selected = element;
    panel.textContent = "";
    var title = document.createElement("h2");
    panel.appendChild(title);
    if (!element) { title.textContent = msg("msgPick"); return; }
    var bo = element.businessObject, type = bo.$type;
    title.textContent = bo.id;
    if (type === "bpmn:Lane") {
      field(msg("msgRole"), "lane-role", bo.name).addEventListener("change", function (e) {
        modeling.updateProperties(element, { name: e.target.value.trim() }); });
    } else if (type === "bpmn:SequenceFlow") {
      field(msg("msgChoice"), "flow-choice", bo.name).addEventListener("change", function (e) {
        modeling.updateProperties(element, { name: e.target.value.trim() }); });
      var cond = bo.conditionExpression ? bo.conditionExpression.body : "";
      field(msg("msgCondition"), "flow-condition", cond, true).addEventListener("change", function (e) {
        setCondition(element, e.target.value); });
    } else if (type === "bpmn:UserTask" || type === "bpmn:ManualTask") {
      field(msg("msgStep"), "step-name", bo.name).addEventListener("change", function (e) {
        modeling.updateProperties(element, { name: e.target.value.trim() }); });
      var limit = field(msg("msgLimit"), "limit-days", limitOf(bo));
      limit.type = "number"; limit.min = "1"; limit.max = "365";
      limit.addEventListener("change", function (e) { setLimit(element, e.target.value); });
    } else {
      field(msg("msgName"), "element-name", bo.name).addEventListener("change", function (e) {
        modeling.updateProperties(element, { name: e.target.value.trim() }); });
    }
  }

  function clearMarks() {
    marked.forEach(function (id) { canvas.removeMarker(id, "route-problem"); });
    marked = [];
    overlays.remove({ type: "route-problem" });
    list.textContent = "";
  }

  function mark(problems) {
    clearMarks();
    problems.forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = (p.element_id ? p.element_id + (p.element_name ? " “" + p.element_name + "”" : "") + ": " : "") + p.message;
      if (p.element_id) { li.dataset.elementId = p.element_id; }
      list.appendChild(li);
      if (p.element_id && registry.get(p.element_id)) {
        canvas.addMarker(p.element_id, "route-problem");
        marked.push(p.element_id);
        var note = document.createElement("div");
        note.className = "route-problem-note";
        note.textContent = p.message;
        overlays.add(p.element_id, "route-problem", { position: { bottom: -4, left: 0 }, html: note });
      }
    });
  }

  function send(url) {
    // Commit whatever is being typed in the panel before saving.
    if (document.activeElement && panel.contains(document.activeElement)) { document.activeElement.blur(); }
    return modeler.saveXML({ format: true }).then(function (result) {
      return fetch(url, { method: "POST", credentials: "same-origin", body: result.xml,
        headers: { "Content-Type": "application/xml", "X-CSRF-Token": csrf } });
    }).then(function (response) { return response.json(); });
  }

  document.getElementById("check-route").addEventListener("click", function () {
    send(root.dataset.checkUrl).then(function (data) {
      mark(data.problems);
      say(data.problems.length ? msg("msgProblems") : msg("msgGood"), data.problems.length ? "error" : "ok");
    });
  });

  document.getElementById("publish-route").addEventListener("click", function () {
    send(root.dataset.publishUrl).then(function (data) {
      mark(data.problems);
      if (data.problems.length) { say(msg("msgProblems"), "error"); return; }
      say(msg("msgPublished").replace("%(version)s", data.version), "ok");
      var link = document.getElementById("published-link");
      link.href = data.url; link.hidden = false;
    });
  });

  list.addEventListener("click", function (e) {
    var id = e.target.dataset && e.target.dataset.elementId;
    if (id && registry.get(id)) { modeler.get("selection").select(registry.get(id)); }
  });

  modeler.on("selection.changed", function (e) { showPanel(e.newSelection[0] || null); });
  modeler.on("element.changed", function (e) {
    if (selected && e.element === selected && !panel.contains(document.activeElement)) { showPanel(selected); }
  });

  fetch(root.dataset.xmlUrl, { credentials: "same-origin" })
    .then(function (response) { return response.text(); })
    .then(function (xml) { return modeler.importXML(xml); })
    .then(function () { canvas.zoom("fit-viewport"); showPanel(null); root.dataset.ready = "yes"; })
    .catch(function (err) { say(String(err), "error"); });
})();
