// "Mark to": the list of posts a circulation may go to, narrowed as the official types a post
// or a name.  Without this script every post is listed, and the page works the same.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("fieldset.mark-to").forEach(function (box) {
    var search = box.querySelector(".mark-search");
    var items = box.querySelectorAll(".mark-list li");
    search.addEventListener("input", function () {
      var words = search.value.toLocaleLowerCase().split(/\s+/).filter(Boolean);
      items.forEach(function (item) {
        var text = item.textContent.toLocaleLowerCase();
        var checked = item.querySelector("input:checked");
        item.hidden = !checked && !words.every(function (w) { return text.includes(w); });
      });
    });
  });
});
