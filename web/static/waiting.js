// What waits: every 45 seconds the page asks the server (inbox/waiting.json) how many files
// and receipts wait, updates the header's count and says, in the page's live region, which
// files arrived or came back.  The poll does not keep the session alive (the server does not
// count it as activity); when the session ends the server answers 401 and polling stops.
// Without this script the count is the one the page was served with.
document.addEventListener("DOMContentLoaded", function () {
  var link = document.getElementById("waiting");
  var region = document.getElementById("arrivals");
  if (!link || !window.fetch) { return; }
  var since = link.getAttribute("data-since");
  var every = 45000;
  var timer = null;

  function say(arrivals) {
    if (!region || !arrivals.length) { return; }
    region.textContent = "";
    arrivals.forEach(function (a) {
      var line = document.createElement("p");
      var anchor = document.createElement("a");
      anchor.href = a.url;
      anchor.textContent = a.notice;  // text, never markup
      line.className = a.returned ? "arrival returned" : "arrival";
      line.appendChild(anchor);
      region.appendChild(line);
    });
  }

  function poll() {
    var url = link.getAttribute("data-poll") + "?since=" + encodeURIComponent(since);
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.status === 401) { window.clearInterval(timer); return null; }
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (!answer) { return; }
        since = answer.now;
        link.textContent = answer.label;
        say(answer.arrivals);
      })
      .catch(function () { /* offline for a moment: ask again at the next turn */ });
  }

  timer = window.setInterval(function () {
    if (!document.hidden) { poll(); }
  }, every);
});
