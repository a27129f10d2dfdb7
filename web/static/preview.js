// Scans and PDFs on a file page are links, so that a slow line carries them only when asked
// (a 2.3 MB scan took 75 s at 256 kbit/s).  Without JavaScript "Show here" opens the document;
// with it, the document is shown under its line, and the same link hides it again.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.preview") : null;
    if (!link) { return; }
    event.preventDefault();
    var figure = link.closest("figure"), shown = figure.querySelector(".shown");
    if (shown) {
      shown.remove();
      link.textContent = link.dataset.show;
      link.setAttribute("aria-expanded", "false");
      return;
    }
    var view = document.createElement(link.dataset.kind === "pdf" ? "iframe" : "img");
    view.className = "shown";
    view.src = link.href;
    if (link.dataset.kind === "pdf") { view.title = link.dataset.name; } else { view.alt = link.dataset.name; }
    figure.insertBefore(view, figure.firstChild);
    link.dataset.show = link.textContent;
    link.textContent = link.dataset.hide;
    link.setAttribute("aria-expanded", "true");
  });
}());
